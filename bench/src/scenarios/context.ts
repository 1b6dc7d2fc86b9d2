import type { BenchDatabase } from "../environment";
import type { BenchOptions } from "../options";
import type { Seeder } from "../seed";

/** What every scenario is given: the options, the database and Redis to use, and the log. */
export interface BenchContext {
  options: BenchOptions;
  database: BenchDatabase;
  redisUrl: string | null;
  seeder: Seeder;
  openFileLimit: number;
  log: (message: string) => void;
}
