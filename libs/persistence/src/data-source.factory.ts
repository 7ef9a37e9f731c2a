import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type DataSourceOptions, type MigrationInterface } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

/** An entity class of a service's schema. */
export type EntityClass = new (...args: any[]) => object;
/** A migration class: `up` and `down`. */
export type MigrationClass = new (...args: any[]) => MigrationInterface;

export interface ServiceDataSourceOptions {
  url: string;
  /** The service's own schema: no service reads another's tables. */
  schema: string;
  entities: EntityClass[];
  migrations: MigrationClass[];
  poolSize?: number;
  applicationName?: string;
}

/** TypeORM options for one service: its schema, its migrations table, no `synchronize`. */
export function createDataSourceOptions(o: ServiceDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: o.url,
    schema: o.schema,
    entities: o.entities,
    migrations: o.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    applicationName: o.applicationName ?? o.schema,
    extra: { max: o.poolSize ?? 5, connectionTimeoutMillis: 5000 },
  };
}

/** Creates the database named in `url` when it does not exist (development and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        // Another service created it at the same moment.
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await client.end();
  }
}

/** Creates the schema, then applies pending migrations, each in its own transaction. */
export async function migrate(ds: DataSource, logger = new Logger('Migrations')): Promise<string[]> {
  const schema = (ds.options as { schema?: string }).schema;
  if (schema) await ds.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const applied = await ds.runMigrations({ transaction: 'each' });
  if (applied.length) logger.log(`Applied ${applied.length} migration(s) to schema ${schema}: ${applied.map((m) => m.name).join(', ')}`);
  return applied.map((m) => m.name);
}

/** Opens a DataSource, optionally creating the database and applying migrations first. */
export async function openDataSource(options: DataSourceOptions, opts: { migrate: boolean; ensureDatabase?: boolean }): Promise<DataSource> {
  if (opts.ensureDatabase && 'url' in options && options.url) await ensureDatabase(options.url);
  const ds = new DataSource(options);
  await ds.initialize();
  if (opts.migrate) {
    // Replicas starting together take turns; the lock is released with the session.
    const runner = ds.createQueryRunner();
    try {
      await runner.connect();
      await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`migrations:${(options as { schema?: string }).schema}`]);
      await migrate(ds);
    } finally {
      await runner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await runner.release();
    }
  }
  return ds;
}
