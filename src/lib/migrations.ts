/**
 * Append-only SQL schema migrations for SQLite-backed Durable Objects (after cloudflare/actors'
 * sql-schema-migrations). Run from a constructor under `blockConcurrencyWhile`; each migration
 * runs in a transaction with its id recorded, so re-running is a no-op.
 */
export interface Migration {
  id: number;
  sql: string;
}

export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): void {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = sql.exec<{ id: number }>("SELECT coalesce(max(id), 0) AS id FROM _migrations").one().id;
  for (const migration of migrations) {
    if (migration.id <= applied) continue;
    storage.transactionSync(() => {
      sql.exec(migration.sql);
      sql.exec("INSERT INTO _migrations (id, applied_at) VALUES (?, ?)", migration.id, Date.now());
    });
  }
}
