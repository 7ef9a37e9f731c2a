import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Raw `pg` on the hot paths (claims, creates, status reads): the pool TypeORM opened, named
 * prepared statements where a query runs often, transactions on one pooled client.
 */
@Injectable()
export class JobsDb {
  readonly pool: pg.Pool;

  constructor(@InjectDataSource() ds: DataSource) {
    this.pool = (ds.driver as unknown as { master: pg.Pool }).master;
  }

  async query<T = any>(text: string, values: unknown[] = [], name?: string): Promise<T[]> {
    const r = await this.pool.query(name ? { name, text, values } : { text, values });
    return r.rows as T[];
  }

  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}
