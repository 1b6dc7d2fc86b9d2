import type { Database } from "@parley/db/client";

/**
 * A prepared statement per database handle, built on its first use: the query is planned and
 * its SQL text built once per process instead of on every call.
 */
export function preparedPerDatabase<TStatement>(build: (db: Database) => TStatement): (db: Database) => TStatement {
  const statements = new WeakMap<Database, TStatement>();
  return (db) => {
    let statement = statements.get(db);
    if (statement === undefined) {
      statement = build(db);
      statements.set(db, statement);
    }
    return statement;
  };
}
