import { Injectable, Logger } from '@nestjs/common';
import {
  AppError,
  type AuthContext,
  type BatchCreatedView,
  type CreateBatchRequest,
  type CreateJobRequest,
  ErrorCode,
  FieldErrorCode,
  type FieldError,
  type JobConfiguration,
  type JobCreatedView,
  JobPriority,
  type JobProgress,
  JobsEvents,
  JobStatus,
  JobType,
  PRIORITY_RANK,
  findUnstorable,
  unstorableError,
  unstorableFieldError,
  VideoQuality,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { JobsConfig } from '../jobs.config.js';
import { EstimatesService } from './estimates.service.js';
import { type JobRow, queuedEvent, toCreatedView } from './job-row.js';
import { JobsDb, type Queryable } from './jobs.db.js';
import { JobsMetrics } from './jobs.metrics.js';
import { ListCountCache } from './list-count.cache.js';

const { escapeLiteral } = pg;

const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/** A new job's first log line, for the jobs an `ins` CTE stored ($2 the time). */
const FIRST_LOG_LINES = `INSERT INTO jobs.job_logs (job_id, level, message, details, created_at)
    SELECT id, 'info', 'Job queued with priority ' || priority, NULL, $2 FROM ins`;

/** The jobs ($1, a JSON array of rows), their first log lines; $2 the time, $3 the retries allowed. */
const INSERT_STATEMENT = 'jobs_create_insert';
const INSERT_SQL = `WITH ins AS (
    INSERT INTO jobs.jobs (id, user_id, job_type, priority, priority_rank, configuration, status, progress, created_at, updated_at,
                           batch_id, parent_job_id, max_retries, run_after, idempotency_key, request_hash, fair_rank)
    SELECT t.id, t.user_id, t.job_type, t.priority, t.rank, t.conf, 'queued', t.progress, $2, $2, t.batch, t.parent, $3, $2, t.key, t.hash, t.fair
    FROM jsonb_to_recordset($1)
         AS t(id uuid, user_id text, job_type text, priority text, rank smallint, conf jsonb, progress jsonb, batch uuid, parent uuid, key text, hash text, fair int)
    RETURNING id, priority)
  ${FIRST_LOG_LINES}`;

/** The use of user `u` (a column of the query around it), today starting at `day` (a parameter). */
const useOf = (day: string) => `(SELECT count(*) FROM jobs.jobs j
      WHERE j.user_id = u AND j.status IN ('queued', 'processing') AND j.parent_job_id IS NULL AND j.job_type <> 'file_processing')::int AS active,
    (SELECT count(*) FROM jobs.jobs j
      WHERE j.user_id = u AND j.created_at >= ${day} AND j.job_type = 'video_generation')::int AS today`;

/**
 * A user's use of the quotas ($1 the users, $2 the start of the UTC day): active top-level jobs and
 * today's videos. Counted user by user (the outer `unnest` feeds each subquery its user), so every
 * plan, generic or custom, is an index scan per user whatever the table's size when it was made:
 * one query over all the users (`user_id = ANY(...)`) planned as a sequential scan while the table
 * was small, and its cached plan stayed one until the next ANALYZE (20x slower, 20 000 rows in),
 * so it was planned afresh every time, which cost PostgreSQL more than running it.
 */
const COUNT_STATEMENT = 'jobs_create_count';
const COUNT_SQL = `SELECT u AS user_id, ${useOf('$2')} FROM unnest($1::text[]) AS u`;

/**
 * A group of creates decided and stored by one statement ($1: a JSON array of rows in arrival order,
 * each with its quota cost `ca`/`cd` and its caller's limits `ma`/`md`; $2 the time, $3 the retries
 * allowed, $4 the start of the UTC day): the users' use counted as `COUNT_SQL` counts it (`useOf`), each create
 * judged against its own limits with the costs of the user's earlier creates in the group added,
 * the accepted ones stored with their first log lines, and every row's outcome answered (`ord`,
 * `accepted`, and the use counted before the group). Run after the users' quota locks, in the same
 * transaction, so its snapshot sees every job their previous holders stored.
 *
 * The costs of a user's earlier creates are added whether they were accepted or not: with equal
 * limits (a user's creates carry the same permissions, except during a change of them) the
 * accepted ones are a prefix and the outcome is that of deciding one by one; with different
 * limits it can only refuse more, never accept more than a limit allows.
 */
const GROUP_STATEMENT = 'jobs_create_group';
const GROUP_SQL = `WITH t AS (
    SELECT * FROM jsonb_to_recordset($1)
      AS t(ord int, id uuid, user_id text, job_type text, priority text, rank smallint, conf jsonb, progress jsonb, key text, hash text, ca int, cd int, ma int, md int)),
  use AS (
    SELECT u AS user_id, ${useOf('$4')} FROM (SELECT DISTINCT user_id FROM t WHERE ca > 0 OR cd > 0) AS s(u)),
  d AS (
    SELECT t.*, coalesce(use.active, 0) AS active, coalesce(use.today, 0) AS today,
      sum(t.ca) OVER w AS sa, sum(t.cd) OVER w AS sd
    FROM t LEFT JOIN use ON use.user_id = t.user_id
    WINDOW w AS (PARTITION BY t.user_id ORDER BY t.ord)),
  ok AS (
    SELECT d.*, (d.ca = 0 OR d.active + d.sa <= d.ma) AND (d.cd = 0 OR d.today + d.sd <= d.md) AS accepted FROM d),
  ins AS (
    INSERT INTO jobs.jobs (id, user_id, job_type, priority, priority_rank, configuration, status, progress, created_at, updated_at,
                           max_retries, run_after, idempotency_key, request_hash, fair_rank)
    SELECT id, user_id, job_type, priority, rank, conf, 'queued', progress, $2, $2, $3, $2, key, hash,
           CASE WHEN ca > 0 OR cd > 0 THEN active + sa ELSE 1 END
    FROM ok WHERE accepted
    RETURNING id, priority),
  logs AS (${FIRST_LOG_LINES})
  SELECT ord, accepted, active, today FROM ok ORDER BY ord`;

interface NewJob {
  id: string;
  user_id: string;
  job_type: JobType;
  priority: JobPriority;
  configuration: JobConfiguration;
  estimated_completion: string | null;
  batch_id: string | null;
  parent_job_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  /** Place in its owner's queue (claims go by priority, then this, then age); set when stored. */
  fair_rank?: number;
}

/** What a request adds to the user's use: top-level active jobs and videos today. */
interface QuotaCost {
  active: number;
  daily: number;
}

interface Pending {
  req: CreateJobRequest;
  job: NewJob;
  cost: QuotaCost;
  resolve: (v: JobCreatedView) => void;
  reject: (e: unknown) => void;
}

/** A job as just stored: what the creation paths answer and announce. */
type CreatedRow = Pick<JobRow, 'id' | 'user_id' | 'job_type' | 'priority' | 'status' | 'progress' | 'created_at' | 'batch_id'>;

/** The stored job answered from what was sent (`rowOf`'s fields), as stored at `now`. */
const createdRow = (r: Pick<CreatedRow, 'id' | 'user_id' | 'job_type' | 'priority' | 'progress'>, now: Date, batchId: string | null): CreatedRow => ({
  id: r.id,
  user_id: r.user_id,
  job_type: r.job_type,
  priority: r.priority,
  status: JobStatus.QUEUED,
  progress: r.progress,
  created_at: now,
  batch_id: batchId,
});

interface Usage {
  active: number;
  today: number;
}

/** Keys sorted at every level: the same body always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export const requestHash = (kind: string, body: unknown) => createHash('sha256').update(`${kind}:${canonical(body)}`).digest('hex');

/**
 * A string as an SQL literal. Without a backslash, quotes doubled (the same text whatever
 * `standard_conforming_strings` says, and a native replace instead of pg's loop over every
 * character, which JSON documents of many jobs made costly); with one, pg's `escapeLiteral`.
 */
export function sqlLiteral(s: string): string {
  return s.includes('\\') ? escapeLiteral(s) : `'${s.replaceAll("'", "''")}'`;
}

/** User ids as an SQL array literal, sorted (the order quota locks are taken in). */
const idArray = (users: string[]) => `ARRAY[${[...users].sort().map(sqlLiteral).join(',')}]::text[]`;

export function utcDayStart(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * Creating jobs: validation against the caller's permissions and the configured models, quotas
 * enforced exactly (a per-user advisory lock held by the transaction that counts and inserts),
 * idempotency keys, and batched inserts: creates arriving while a transaction is under way are
 * written together by the next one.
 */
@Injectable()
export class JobCreationService {
  private readonly logger = new Logger('JobCreation');
  private readonly models: Set<string>;
  private pending: Pending[] = [];
  private flushing = false;
  /** Pooled connections on which the count and the insert are prepared. */
  private readonly prepared = new WeakSet<pg.PoolClient>();

  constructor(
    private readonly db: JobsDb,
    private readonly config: JobsConfig,
    private readonly estimates: EstimatesService,
    private readonly nats: NatsClient,
    private readonly counts: ListCountCache,
    private readonly metrics: JobsMetrics,
  ) {
    this.models = new Set(config.SCRIPT_MODELS.split(','));
  }

  async create(req: CreateJobRequest): Promise<JobCreatedView> {
    const jobType = req.job_type ?? JobType.VIDEO_GENERATION;
    if (jobType !== JobType.VIDEO_GENERATION && jobType !== JobType.FILE_PROCESSING) {
      throw AppError.validation([{ field: 'job_type', message: 'job_type must be video_generation or file_processing', code: FieldErrorCode.INVALID_ENUM }]);
    }
    const priority = this.checkPriority(req.priority, 'priority');
    if (jobType === JobType.VIDEO_GENERATION) this.checkVideoRequest(req.user, [{ configuration: req.configuration, path: 'configuration' }]);
    else if (!req.configuration || typeof req.configuration !== 'object') {
      throw AppError.validation([{ field: 'configuration', message: 'configuration must be an object', code: FieldErrorCode.INVALID_TYPE }]);
    } else {
      // PostgreSQL stores no NUL and no lone surrogate: one such create must not fail the transaction it shares with others.
      const nul = unstorableError(req.configuration, 'configuration', 'configuration');
      if (nul) throw nul;
    }
    const job: NewJob = {
      id: randomUUID(),
      user_id: req.user.user_id,
      job_type: jobType,
      priority,
      configuration: req.configuration,
      estimated_completion: this.estimates.queuedEstimate(req.configuration.quality),
      batch_id: null,
      parent_job_id: null,
      idempotency_key: req.idempotency_key ?? null,
      request_hash: req.idempotency_key ? requestHash(jobType, { configuration: req.configuration, priority }) : null,
    };
    const cost: QuotaCost = jobType === JobType.VIDEO_GENERATION ? { active: 1, daily: 1 } : { active: 0, daily: 0 };
    if (job.idempotency_key) return this.createKeyed(req.user, job, cost);
    return new Promise<JobCreatedView>((resolve, reject) => {
      this.pending.push({ req, job, cost, resolve, reject });
      // Started at the end of the turn, so every create that arrived in it (a batch message holds
      // many) shares the first transaction instead of waiting for the next.
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  async createBatch(req: CreateBatchRequest): Promise<BatchCreatedView> {
    if (!Array.isArray(req.jobs) || req.jobs.length < 1 || req.jobs.length > 50) {
      throw AppError.validation([{ field: 'jobs', message: 'A batch holds between 1 and 50 jobs', code: FieldErrorCode.INVALID_LENGTH }]);
    }
    const batchPriority = this.checkPriority(req.priority, 'priority');
    const items = req.jobs.map((j, i) => ({
      configuration: j.configuration,
      priority: this.checkPriority(j.priority ?? batchPriority, `jobs[${i}].priority`),
      path: `jobs[${i}].configuration`,
    }));
    this.checkVideoRequest(req.user, items);
    const batchId = randomUUID();
    const parentId = randomUUID();
    const durations = items.reduce((s, i) => s + this.estimates.durationSeconds(i.configuration.quality), 0);
    const parent: NewJob = {
      id: parentId,
      user_id: req.user.user_id,
      job_type: JobType.BATCH_VIDEO_GENERATION,
      priority: batchPriority,
      // The parent's configuration describes the batch: the first item's topic and the count.
      configuration: { ...items[0].configuration, custom_config: { ...(items[0].configuration.custom_config ?? {}), batch_size: items.length } },
      estimated_completion: new Date(Date.parse(this.estimates.queuedEstimate(items[0].configuration.quality)) + durations * 1000).toISOString(),
      batch_id: batchId,
      parent_job_id: null,
      idempotency_key: req.idempotency_key ?? null,
      request_hash: req.idempotency_key ? requestHash('batch', { jobs: items.map((i) => ({ configuration: i.configuration, priority: i.priority })), priority: batchPriority }) : null,
    };
    const children: NewJob[] = items.map((i) => ({
      id: randomUUID(),
      user_id: req.user.user_id,
      job_type: JobType.VIDEO_GENERATION,
      priority: i.priority,
      configuration: i.configuration,
      estimated_completion: this.estimates.queuedEstimate(i.configuration.quality),
      batch_id: batchId,
      parent_job_id: parentId,
      idempotency_key: null,
      request_hash: null,
    }));
    const cost: QuotaCost = { active: 1, daily: children.length };
    const out = await this.db.tx(async (c) => {
      const counted = (await this.lockAndCount(c, [req.user.user_id])).get(req.user.user_id);
      if (parent.idempotency_key) {
        const prior = await this.findKeyed(c, req.user.user_id, parent.idempotency_key, parent.request_hash ?? '');
        if (prior) return { prior, rows: undefined };
      }
      const usage = counted ?? { active: 0, today: 0 };
      const err = this.quotaError(req.user, usage, cost);
      if (err) throw err;
      children.forEach((child, i) => (child.fair_rank = usage.active + 1 + i));
      const rows = await this.insert(c, [parent, ...children]);
      return { prior: undefined, rows };
    });
    if (out.prior) return this.batchView(out.prior);
    const rows = out.rows ?? [];
    this.metrics.recordCreated(rows);
    this.wake(rows.slice(1));
    return { batch_id: batchId, parent_job: toCreatedView(rows[0]), job_ids: rows.slice(1).map((r) => r.id) };
  }

  /**
   * The answer of a batch's create, again: `job_ids` in the order of the request's items, as the
   * first answer gave them (the children share one `created_at`; each got its place in the owner's
   * queue, `fair_rank`, in item order, and it never changes). Deleted children keep their places.
   */
  private async batchView(parent: JobRow): Promise<BatchCreatedView> {
    const kids = await this.db.query<{ id: string }>(`SELECT id FROM jobs.jobs WHERE parent_job_id = $1 ORDER BY fair_rank, created_at, id`, [parent.id]);
    return { batch_id: parent.batch_id ?? parent.id, parent_job: toCreatedView(parent), job_ids: kids.map((k) => k.id) };
  }

  /** One transaction per key: the lock makes a concurrent repeat wait for the first and then find it. */
  private async createKeyed(user: AuthContext, job: NewJob, cost: QuotaCost): Promise<JobCreatedView> {
    const out = await this.db.tx(async (c) => {
      const counted = (await this.lockAndCount(c, [user.user_id])).get(user.user_id);
      const prior = await this.findKeyed(c, user.user_id, job.idempotency_key ?? '', job.request_hash ?? '');
      if (prior) {
        if (prior.job_type === JobType.BATCH_VIDEO_GENERATION) throw AppError.conflict(ErrorCode.CONFLICT, 'This Idempotency-Key was used for a different request', { idempotency_key: job.idempotency_key });
        return { row: prior, created: false };
      }
      if (cost.active || cost.daily) {
        const usage = counted ?? { active: 0, today: 0 };
        const err = this.quotaError(user, usage, cost);
        if (err) throw err;
        job.fair_rank = usage.active + 1;
      }
      const [row] = await this.insert(c, [job]);
      return { row, created: true };
    });
    if (out.created) {
      this.metrics.recordCreated([out.row]);
      this.wake([out.row]);
    }
    return toCreatedView(out.row);
  }

  /**
   * The job created earlier with this key: same body → it; different body → 409. The key of an
   * expired job, or of one its owner deleted, is freed (a deleted job answers 404, so a client
   * repeating its request wants a new one): the caller then creates the job and the key is its.
   * Called under the user's quota lock, which every create with a key takes first.
   */
  private async findKeyed(c: Queryable, userId: string, key: string, hash: string): Promise<JobRow | null> {
    const { rows } = await c.query<JobRow>(`SELECT * FROM jobs.jobs WHERE user_id = $1 AND idempotency_key = $2 AND parent_job_id IS NULL`, [userId, key]);
    const prior = rows[0];
    if (!prior) return null;
    if (prior.is_deleted || Date.now() - prior.created_at.getTime() > IDEMPOTENCY_WINDOW_MS) {
      await c.query(`UPDATE jobs.jobs SET idempotency_key = NULL WHERE id = $1`, [prior.id]);
      return null;
    }
    if (prior.request_hash !== hash) {
      throw AppError.conflict(ErrorCode.CONFLICT, 'This Idempotency-Key was already used with a different request body', { idempotency_key: key });
    }
    return prior;
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const group = this.pending.splice(0, this.config.JOB_CREATE_BATCH_MAX);
        try {
          await this.writeGroup(group);
        } catch (err) {
          this.logger.error(`Could not store ${group.length} job(s): ${(err as Error).message}`);
          const e = err instanceof AppError ? err : AppError.unavailable('jobs');
          for (const p of group) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Many creates, one transaction in one round trip: a simple query of two statements (an implicit
   * transaction, committed before the answer): the users' quota locks, then `GROUP_SQL`, which
   * counts their use, decides each create in order and stores the accepted ones.
   */
  private async writeGroup(group: Pending[]): Promise<void> {
    const c = await this.db.pool.connect();
    let decided: Array<{ ord: number; accepted: boolean; active: number; today: number }>;
    const now = new Date();
    const rows = group.map((p, ord) => ({
      ord,
      ...this.rowOf(p.job),
      ca: p.cost.active,
      cd: p.cost.daily,
      ma: p.req.user.permissions.max_concurrent_jobs,
      md: p.req.user.permissions.max_daily_jobs,
    }));
    try {
      await this.prepare(c);
      const users = [...new Set(group.filter((p) => p.cost.active || p.cost.daily).map((p) => p.job.user_id))];
      const statements = [
        ...(users.length ? [this.lockStatement(users)] : []),
        `EXECUTE ${GROUP_STATEMENT}(${sqlLiteral(JSON.stringify(rows))}, ${sqlLiteral(now.toISOString())}, ${Number(this.config.JOB_MAX_RETRIES)}, ${sqlLiteral(utcDayStart(now).toISOString())})`,
      ];
      const results = (await c.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
      // One result per statement; the last is the group's.
      decided = (Array.isArray(results) ? results[results.length - 1] : results).rows;
      // Every create is answered (never left waiting): the statement decides each row of the group.
      if (decided.length !== group.length) throw new Error(`${decided.length} outcomes for ${group.length} creates`);
    } finally {
      c.release();
    }
    const stored: CreatedRow[] = [];
    // What each user's accepted creates of the group added before the one decided (for the 429's figures).
    const added = new Map<string, Usage>();
    for (const d of decided) {
      const p = group[d.ord];
      const r = rows[d.ord];
      const a = added.get(r.user_id) ?? { active: 0, today: 0 };
      if (d.accepted) {
        const row = createdRow(r, now, null);
        stored.push(row);
        added.set(r.user_id, { active: a.active + p.cost.active, today: a.today + p.cost.daily });
        p.resolve(toCreatedView(row));
        continue;
      }
      p.reject(this.quotaError(p.req.user, { active: d.active + a.active, today: d.today + a.today }, p.cost) ?? this.refusedAlike(p, d, rows));
    }
    this.metrics.recordCreated(stored);
    this.wake(stored);
  }

  /**
   * The 429 of a create refused for what its user's earlier creates in the group asked (accepted or
   * not, as `GROUP_SQL` counts them): only when that user's creates carried different limits.
   */
  private refusedAlike(p: Pending, d: { ord: number; active: number; today: number }, rows: Array<{ user_id: string; ca: number; cd: number }>): AppError {
    const before = rows.slice(0, d.ord).filter((r) => r.user_id === p.job.user_id);
    const usage = { active: d.active + before.reduce((s, r) => s + r.ca, 0), today: d.today + before.reduce((s, r) => s + r.cd, 0) };
    return this.quotaError(p.req.user, usage, p.cost) ?? AppError.unavailable('jobs');
  }

  /**
   * Takes the quota locks of `users` and counts their active and today's jobs, in one round trip:
   * a simple query of two statements, each with its own snapshot, so the count sees every job
   * committed by whoever held one of these locks before. The count is a prepared statement
   * (`COUNT_SQL`), the ids travel as literals.
   */
  private async lockAndCount(c: pg.PoolClient, users: string[]): Promise<Map<string, Usage>> {
    if (!users.length) return new Map();
    await this.prepare(c);
    const statements = [this.lockStatement(users), `EXECUTE ${COUNT_STATEMENT}(${idArray(users)}, ${sqlLiteral(utcDayStart().toISOString())})`];
    // A simple query of several statements answers one result per statement.
    const results = (await c.query(statements.join(';\n'))) as unknown as pg.QueryResult<{ user_id: string; active: number; today: number }>[];
    return new Map((results.at(-1)?.rows ?? []).map((r) => [r.user_id, { active: r.active, today: r.today }]));
  }

  /**
   * The statement that takes the quota locks of `users` for the transaction, in sorted order, so two
   * transactions never wait on each other's locks in opposite orders.
   */
  private lockStatement(users: string[]): string {
    return `SELECT pg_advisory_xact_lock(hashtextextended('jobs-quota:' || u, 0)) FROM unnest(${idArray(users)}) AS u`;
  }

  /**
   * 429 QUOTA_EXCEEDED with the limit, the use and when it frees up, or null. `details` carries the
   * fields of the spec's 429 example (`retry_after`, `limit`, `remaining`, `reset_at`), as the rate
   * limit's 429 does, and which quota (`quota`) with its use (`current`).
   */
  quotaError(user: AuthContext, usage: Usage, cost: QuotaCost): AppError | null {
    const p = user.permissions;
    if (cost.active && usage.active + cost.active > p.max_concurrent_jobs) {
      // A slot frees when a running job ends: about one job's duration.
      const retryAfter = Math.max(1, Math.ceil(this.estimates.durationSeconds(VideoQuality.MEDIUM)));
      return new AppError(ErrorCode.QUOTA_EXCEEDED, 429, `You already have ${usage.active} active jobs; the limit is ${p.max_concurrent_jobs}`, {
        quota: 'max_concurrent_jobs',
        limit: p.max_concurrent_jobs,
        current: usage.active,
        remaining: Math.max(0, p.max_concurrent_jobs - usage.active),
        retry_after: retryAfter,
        reset_at: new Date(Date.now() + retryAfter * 1000).toISOString(),
      });
    }
    if (cost.daily && usage.today + cost.daily > p.max_daily_jobs) {
      const resets = new Date(utcDayStart().getTime() + 24 * 3600 * 1000);
      return new AppError(ErrorCode.QUOTA_EXCEEDED, 429, `Daily job limit of ${p.max_daily_jobs} reached`, {
        quota: 'max_daily_jobs',
        limit: p.max_daily_jobs,
        current: usage.today,
        remaining: Math.max(0, p.max_daily_jobs - usage.today),
        requested: cost.daily,
        retry_after: Math.max(1, Math.ceil((resets.getTime() - Date.now()) / 1000)),
        reset_at: resets.toISOString(),
      });
    }
    return null;
  }

  /**
   * Prepares the count, the insert and the group's statement on a connection once (SQL `PREPARE`,
   * so they can run in a simple query with other statements), in one round trip.
   */
  private async prepare(c: pg.PoolClient): Promise<void> {
    if (this.prepared.has(c)) return;
    await c.query(
      [
        `PREPARE ${COUNT_STATEMENT} (text[], timestamptz) AS ${COUNT_SQL}`,
        `PREPARE ${INSERT_STATEMENT} (jsonb, timestamptz, int) AS ${INSERT_SQL}`,
        `PREPARE ${GROUP_STATEMENT} (jsonb, timestamptz, int, timestamptz) AS ${GROUP_SQL}`,
      ].join(';\n'),
    );
    this.prepared.add(c);
  }

  /**
   * Stores the jobs and their first log lines in one statement, in the caller's transaction (a
   * batch, a create with an idempotency key). The jobs travel as one JSON document
   * (`jsonb_to_recordset`) and nothing is read back: every stored value is ours, so the rows are
   * answered from what was sent.
   */
  private async insert(c: pg.PoolClient, jobs: NewJob[]): Promise<CreatedRow[]> {
    const now = new Date();
    const rows = jobs.map((j) => ({ ...this.rowOf(j), batch: j.batch_id, parent: j.parent_job_id, fair: j.fair_rank ?? 1 }));
    await this.prepare(c);
    await c.query(`EXECUTE ${INSERT_STATEMENT}(${sqlLiteral(JSON.stringify(rows))}, ${sqlLiteral(now.toISOString())}, ${Number(this.config.JOB_MAX_RETRIES)})`);
    return rows.map((r) => createdRow(r, now, r.batch));
  }

  /** What a new job's row stores of it, as `INSERT_SQL` and `GROUP_SQL` read it. */
  private rowOf(j: NewJob) {
    return {
      id: j.id,
      user_id: j.user_id,
      job_type: j.job_type,
      priority: j.priority,
      rank: PRIORITY_RANK[j.priority],
      conf: j.configuration,
      progress: { percentage: 0, current_stage: null, stages_completed: [], estimated_completion: j.estimated_completion } as JobProgress,
      key: j.idempotency_key,
      hash: j.request_hash,
    };
  }

  /** Idle workers claim on this: one event for the jobs one transaction stored. */
  private wake(rows: CreatedRow[]): void {
    for (const r of rows) this.counts.bump(r.user_id);
    const event = queuedEvent(rows.filter((r) => r.job_type !== JobType.BATCH_VIDEO_GENERATION));
    if (event) this.nats.publish(JobsEvents.queued, event);
  }

  private checkPriority(p: unknown, field: string): JobPriority {
    if (p === undefined || p === null) return JobPriority.NORMAL;
    if (!Object.values(JobPriority).includes(p as JobPriority)) {
      throw AppError.validation([{ field, message: 'Priority must be one of: low, normal, high, urgent', code: FieldErrorCode.INVALID_ENUM, value: p }]);
    }
    return p as JobPriority;
  }

  /** Permissions and configured models; every bad item is named by its path. */
  private checkVideoRequest(user: AuthContext, items: Array<{ configuration: JobConfiguration; path: string }>): void {
    if (!user?.permissions?.can_generate_videos) throw AppError.forbidden('Your account may not generate videos');
    const errors: FieldError[] = [];
    for (const { configuration, path } of items) {
      if (!configuration || typeof configuration !== 'object') {
        errors.push({ field: path, message: 'configuration must be an object', code: FieldErrorCode.INVALID_TYPE });
        continue;
      }
      // PostgreSQL stores no NUL and no lone surrogate: one such create must not fail the transaction it shares with others.
      const bad = findUnstorable(configuration, path);
      if (bad !== null) errors.push(unstorableFieldError(bad.path || path, bad.kind));
      if (configuration.model !== undefined && !this.models.has(configuration.model)) {
        errors.push({
          field: `${path}.model`,
          message: `Unknown model; available: ${[...this.models].join(', ')}`,
          code: FieldErrorCode.INVALID_VALUE,
          value: configuration.model,
        });
      }
    }
    if (errors.length) throw AppError.validation(errors);
    for (const { configuration, path } of items) {
      if (configuration.quality === VideoQuality.ULTRA && !user.permissions.can_access_premium_features) {
        throw AppError.forbidden('Ultra quality is a premium feature', { field: `${path}.quality` });
      }
    }
  }
}

