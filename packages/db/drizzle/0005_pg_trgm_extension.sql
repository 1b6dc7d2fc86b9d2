-- Trigram matching for message search (substrings: Chinese, Japanese and Korean have no spaces
-- between words). Trusted since Postgres 13, so the database owner may create it; PGlite loads
-- it from @electric-sql/pglite/contrib/pg_trgm (see createDb).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
