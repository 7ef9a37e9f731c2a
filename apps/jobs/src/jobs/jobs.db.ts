import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUuid } from '@vgp/contracts';
import { MetricNames, MetricsService } from '@vgp/observability';
import pg from 'pg';
import type { Counter } from 'prom-client';
import type { DataSource } from 'typeorm';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** PostgreSQL's answers that abort a transaction which may succeed when simply run again. */
const RETRYABLE: Record<string, string> = { '40P01': 'deadlock', '40001': 'serialization' };
const TX_ATTEMPTS = 3;

export interface TxOptions {
  /**
   * Lock, before anything else (in the round trip that opens the transaction), the head of this
   * job's family: its batch parent for a batch child, the job itself otherwise. See `JobsDb`.
   */
  lockFamilyOf?: string;
}

/**
 * Raw `pg` on the hot paths (claims, creates, status reads): the pool TypeORM opened, named
 * prepared statements where a query runs often, transactions on one pooled client.
 *
 * Lock order, the same in every transaction, so two of them never wait on each other in a
 * circle (PostgreSQL would abort one with a deadlock): a user's quota lock (advisory), then the
 * head of a job family (a batch parent, or a job of its own), then that batch's children in id
 * order. A transaction that took a child without waiting (claim, reaper: SKIP LOCKED) takes its
 * parent only if it is free, and otherwise refreshes it after its commit (`BatchProgressService`).
 */
@Injectable()
export class JobsDb {
  readonly pool: pg.Pool;
  private readonly logger = new Logger('JobsDb');
  private readonly retries: Counter<'reason'>;

  constructor(@InjectDataSource() ds: DataSource, metrics: MetricsService) {
    this.pool = (ds.driver as unknown as { master: pg.Pool }).master;
    this.retries = metrics.counter(MetricNames.jobsTxRetries, 'Transactions run again after PostgreSQL aborted them (deadlock, serialization failure)', ['reason']);
  }

  async query<T = any>(text: string, values: unknown[] = [], name?: string): Promise<T[]> {
    const r = await this.pool.query(name ? { name, text, values } : { text, values });
    return r.rows as T[];
  }

  /**
   * `fn` in a transaction; run again, up to 3 times, when PostgreSQL aborts it as a deadlock
   * victim or a serialization failure (a safety net: the lock order above means neither should
   * happen; each is counted in `jobs_tx_retries_total` and logged). `fn` must therefore act on
   * the database only: its effects elsewhere (events, messages) belong after the commit.
   */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    let begin = 'BEGIN';
    if (opts.lockFamilyOf !== undefined) {
      if (!isUuid(opts.lockFamilyOf)) throw new Error(`Not a job id: ${opts.lockFamilyOf}`);
      begin += `;\nSELECT h.id FROM jobs.jobs k JOIN jobs.jobs h ON h.id = coalesce(k.parent_job_id, k.id) WHERE k.id = ${pg.escapeLiteral(opts.lockFamilyOf)}::uuid FOR UPDATE OF h`;
    }
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      try {
        await c.query(begin);
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        const reason = RETRYABLE[(err as { code?: string })?.code ?? ''];
        if (!reason || attempt >= TX_ATTEMPTS) throw err;
        this.retries.inc({ reason });
        this.logger.warn(`Transaction aborted (${reason}), running it again (attempt ${attempt + 1} of ${TX_ATTEMPTS}): ${(err as Error).message}`);
      } finally {
        c.release();
      }
    }
  }
}
