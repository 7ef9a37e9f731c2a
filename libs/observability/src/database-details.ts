import type { DataSource } from 'typeorm';

/** Figures of the service's PostgreSQL database: what the system health and metrics report for it. */
export async function databaseDetails(ds: DataSource): Promise<Record<string, unknown>> {
  const [row] = (await ds.query(
    `SELECT current_database() AS name,
            current_setting('server_version') AS server_version,
            current_setting('max_connections')::int AS max_connections,
            pg_database_size(current_database()) AS size_bytes,
            (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS connections,
            d.xact_commit, d.xact_rollback, d.blks_hit, d.blks_read, d.tup_returned, d.tup_inserted,
            d.tup_updated, d.tup_deleted, d.deadlocks
       FROM pg_stat_database d WHERE d.datname = current_database()`,
  )) as Record<string, string | number | null>[];
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const hits = n(row?.blks_hit) ?? 0;
  const reads = n(row?.blks_read) ?? 0;
  // The pg pool of this process (TypeORM keeps it as the driver's `master`).
  const pool = (ds.driver as unknown as { master?: { totalCount?: number; idleCount?: number; waitingCount?: number } }).master;
  return {
    name: row?.name ?? null,
    server_version: row?.server_version ?? null,
    connections: n(row?.connections),
    max_connections: n(row?.max_connections),
    size_bytes: n(row?.size_bytes),
    transactions_committed: n(row?.xact_commit),
    transactions_rolled_back: n(row?.xact_rollback),
    blocks_hit: hits,
    blocks_read: reads,
    cache_hit_percent: hits + reads > 0 ? Math.round((hits / (hits + reads)) * 10000) / 100 : null,
    rows_returned: n(row?.tup_returned),
    rows_inserted: n(row?.tup_inserted),
    rows_updated: n(row?.tup_updated),
    rows_deleted: n(row?.tup_deleted),
    deadlocks: n(row?.deadlocks),
    pool: pool ? { total: pool.totalCount ?? null, idle: pool.idleCount ?? null, waiting: pool.waitingCount ?? null } : null,
  };
}
