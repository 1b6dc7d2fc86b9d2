-- A history page is planned without knowing its cursor, so the planner's estimate for a long
-- conversation (all the rows before an unknown seq) crosses jit_above_cost at about 10 million
-- messages, and every page then paid 20-30 ms of JIT compilation for a 2 ms query. A page reads
-- 51 rows: it never gains from JIT.
ALTER FUNCTION parley_history(uuid, uuid, integer, integer, timestamptz) SET jit = off;
--> statement-breakpoint
ALTER FUNCTION parley_history_after(uuid, uuid, integer, integer, timestamptz) SET jit = off;
