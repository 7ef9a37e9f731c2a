import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AppError,
  type AuthContext,
  type BatchCreatedView,
  type ClaimResponse,
  type EventsSinceResponse,
  type FailResponse,
  type Job,
  type JobCreatedView,
  type JobEvent,
  type JobListItem,
  type JobLogEntry,
  JobPriority,
  type JobQueuedEvent,
  JobsEvents,
  type JobStatsView,
  JobStatus,
  type JobStatusView,
  JobsSubjects,
  type LeaseState,
  type PaginatedResponse,
  type QueueStatusView,
  type QuotaView,
  SURROGATE_MESSAGE,
  ROLE_DEFAULT_PERMISSIONS,
  UserRole,
  UserStatus,
  VideoQuality,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricsService } from '@vgp/observability';
import { createTestInfra, type RunningService, startService, type TestInfra, waitFor } from '@vgp/testing';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AppModule } from '../app.module.js';
import { JobsConfig } from '../jobs.config.js';

const user = (id: string, role = UserRole.USER, limits: Partial<AuthContext['permissions']> = {}): AuthContext => ({
  user_id: id,
  role,
  status: UserStatus.ACTIVE,
  permissions: { user_id: id, role, ...ROLE_DEFAULT_PERMISSIONS[role], ...limits },
});
const must = <T,>(v: T | null | undefined): T => {
  if (v === null || v === undefined) throw new Error('expected a value');
  return v;
};
const roomy = (id: string) => user(id, UserRole.USER, { max_concurrent_jobs: 10, max_daily_jobs: 1000 });
const configuration = {
  topic: 'Pythagorean theorem',
  context: 'Right triangles',
  quality: VideoQuality.LOW,
  use_rag: false,
  enable_subtitles: true,
  enable_thumbnails: true,
  output_format: 'mp4',
};

describe('jobs service over NATS (real PostgreSQL and NATS)', () => {
  let infra: TestInfra;
  let svc: RunningService<JobsConfig>;
  let nc: NatsConnection;
  let client: NatsClient;
  let db: pg.Client;

  const create = (u: AuthContext, extra: Record<string, unknown> = {}) =>
    client.request<JobCreatedView>(JobsSubjects.create, { user: u, configuration, priority: JobPriority.NORMAL, ...extra });
  const claim = (worker = 'w1') => client.request<ClaimResponse>(JobsSubjects.claim, { worker_id: worker });
  const fails = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as AppError);
  const jobOf = (u: AuthContext, id: string) => client.request<Job>(JobsSubjects.get, { user: u, job_id: id });
  /**
   * Transactions the service ran again after PostgreSQL aborted them (`jobs_tx_retries_total`), by
   * reason: read from its registry (a scrape of /metrics would also refresh the cached queue gauges).
   */
  const txRetries = async (reason: string) => {
    const metric = svc.app.get(MetricsService).registry.getSingleMetric('jobs_tx_retries_total');
    const values = metric ? (await metric.get()).values : [];
    return values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
  };

  beforeAll(async () => {
    infra = await createTestInfra('jobs');
    svc = await startService({
      module: AppModule,
      config: JobsConfig,
      service: 'jobs',
      env: { ...infra.env, JOB_LEASE_SECONDS: '2', JOB_REAPER_INTERVAL_MS: '200', JOB_RETRY_BASE_MS: '50', SCRIPT_MODELS: 'builtin,other' },
    });
    nc = await connect({ servers: infra.natsUrl });
    client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 5000 });
    db = new pg.Client({ connectionString: infra.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await nc?.close();
    await svc?.close();
    await infra?.cleanup();
  });

  // Each scheduling test starts from an empty queue.
  beforeEach(async () => {
    await db.query(`UPDATE jobs.jobs SET status = 'cancelled' WHERE status IN ('queued', 'processing')`);
  });

  it('applied its migrations to its own schema', async () => {
    const { rows } = await db.query(`SELECT name FROM jobs.migrations ORDER BY id`);
    expect(rows.map((r) => r.name)).toEqual(['CreateJobs1764000000000', 'JobScheduling1764100000000', 'JobEstimatesIndex1764200000000', 'LeanWriteIndexes1764300000000', 'FairClaimOrder1764400000000']);
  });

  it('creates a durable queued job with an estimate and returns it in the spec shapes', async () => {
    const created = await create(user('alice'), { priority: JobPriority.HIGH });
    expect(created).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: JobStatus.QUEUED,
      progress: { percentage: 0, current_stage: null, stages_completed: [], estimated_completion: expect.any(String) },
      created_at: expect.any(String),
    });
    const status = await client.request<JobStatusView>(JobsSubjects.status, { user: user('alice'), job_id: created.job_id });
    expect(status).toMatchObject({ job_id: created.job_id, status: 'queued', created_at: created.created_at });
    const job = await jobOf(user('alice'), created.job_id);
    expect(job).toMatchObject({ id: created.job_id, user_id: 'alice', job_type: 'video_generation', priority: 'high', is_deleted: false, configuration, retry_count: 0, max_retries: 3 });
  });

  it('answers JOB_NOT_FOUND (404) for a missing, malformed or foreign job; admins see it', async () => {
    const created = await create(user('alice'));
    for (const [who, id] of [
      [user('bob'), created.job_id],
      [user('alice'), '00000000-0000-4000-8000-000000000000'],
      [user('alice'), "1' OR '1'='1"],
    ] as const) {
      expect(await fails(jobOf(who, id))).toMatchObject({ code: 'JOB_NOT_FOUND', status: 404 });
    }
    await expect(jobOf(user('root', UserRole.ADMIN), created.job_id)).resolves.toMatchObject({ id: created.job_id });
  });

  it('lets a moderator cancel another user\'s job, and only the owner retry or delete it', async () => {
    const owner = user(`own-${randomUUID().slice(0, 6)}`, UserRole.USER, { max_concurrent_jobs: 1 });
    const mod = user(`mod-${randomUUID().slice(0, 6)}`, UserRole.MODERATOR);
    const created = await create(owner);
    expect(await client.request<Job>(JobsSubjects.cancel, { user: mod, job_id: created.job_id })).toMatchObject({ status: 'cancelled' });
    // The owner's single slot is taken again: a retry by someone else must not use their own, larger limit.
    await create(owner);
    for (const [subject, action] of [[JobsSubjects.retry, 'retry'], [JobsSubjects.delete, 'delete']] as const) {
      for (const who of [mod, user('root', UserRole.ADMIN)]) {
        expect(await fails(client.request(subject, { user: who, job_id: created.job_id }))).toMatchObject({ status: 403, code: 'FORBIDDEN', message: `Only the job's owner may ${action} it` });
      }
      expect(await fails(client.request(subject, { user: user('bob'), job_id: created.job_id }))).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
    }
    expect(await fails(client.request(JobsSubjects.retry, { user: owner, job_id: created.job_id }))).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED' });
    expect(await jobOf(owner, created.job_id)).toMatchObject({ status: 'cancelled', is_deleted: false });
    await expect(client.request(JobsSubjects.delete, { user: owner, job_id: created.job_id })).resolves.toMatchObject({ is_deleted: true });
  });

  it('accepts exactly the quota under 20 concurrent creates, and says when it frees up', async () => {
    const u = user('quota-user');
    const results = await Promise.all(Array.from({ length: 20 }, () => create(u).then(() => 'ok', (e: AppError) => e)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(3);
    const refused = results.filter((r): r is AppError => r instanceof AppError);
    expect(refused).toHaveLength(17);
    expect(refused[0]).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429, details: { limit: 3, current: 3, remaining: 0, retry_after: expect.any(Number), reset_at: expect.any(String) } });
    const quota = await client.request<QuotaView>(JobsSubjects.quota, { user: u });
    expect(quota).toMatchObject({ user_id: 'quota-user', max_concurrent_jobs: 3, active_jobs: 3, max_daily_jobs: 50, jobs_today: 3 });
    // The daily limit counts deleted and finished jobs too.
    const daily = user('daily-user', UserRole.USER, { max_daily_jobs: 2 });
    await create(daily);
    await create(daily);
    await db.query(`UPDATE jobs.jobs SET status = 'cancelled' WHERE user_id = 'daily-user'`);
    expect(await fails(create(daily))).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { quota: 'max_daily_jobs', limit: 2, current: 2 } });
  });

  it('decides each create of one group in order, user by user, and stores exactly the accepted ones', async () => {
    // One message, one transaction: 5 creates against 3 active, 2 against a daily limit of 1, and
    // a file_processing job (no quota), interleaved.
    const a = user('group-a');
    const b = user('group-b', UserRole.USER, { max_daily_jobs: 1 });
    const c = user('group-c');
    const send = (u: AuthContext, extra: Record<string, unknown> = {}) =>
      client.requestBatched<JobCreatedView>(JobsSubjects.create, { user: u, configuration, priority: JobPriority.NORMAL, ...extra }).then(
        (v) => v,
        (e: AppError) => e,
      );
    const woken: JobQueuedEvent[] = [];
    const sub = client.subscribe<JobQueuedEvent>(JobsEvents.queued, (e) => woken.push(e));
    await nc.flush();
    const results = await Promise.all([send(a), send(b), send(a), send(c, { job_type: 'file_processing', configuration: { file_id: 'f1' } }), send(a), send(b), send(a), send(a)]);
    const ok = results.map((r) => !(r instanceof AppError));
    expect(ok).toEqual([true, true, true, true, true, false, false, false]);
    expect(results[5]).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429, details: { quota: 'max_daily_jobs', limit: 1, current: 1 } });
    expect(results[6]).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429, details: { quota: 'max_concurrent_jobs', limit: 3, current: 3 } });
    const { rows } = await db.query(`SELECT user_id, count(*)::int AS n FROM jobs.jobs WHERE user_id LIKE 'group-%' GROUP BY user_id ORDER BY user_id`);
    expect(rows).toEqual([
      { user_id: 'group-a', n: 3 },
      { user_id: 'group-b', n: 1 },
      { user_id: 'group-c', n: 1 },
    ]);
    const ids = results.filter((r): r is JobCreatedView => !(r instanceof AppError)).map((r) => r.job_id);
    const logs = await db.query(`SELECT count(*)::int AS n FROM jobs.job_logs WHERE job_id = ANY($1::uuid[])`, [ids]);
    expect(logs.rows[0].n).toBe(5);
    // The group wakes idle workers once, naming every job it stored.
    await waitFor(() => woken.length > 0, { timeoutMs: 2000, what: 'the queued event' });
    await nc.flush();
    sub.unsubscribe();
    expect(woken).toEqual([{ job_id: ids[0], priority: JobPriority.NORMAL, job_ids: ids }]);
  });

  it('stores a group whose users and texts need escaping, and refuses a NUL character or a lone surrogate alone, with a 422', async () => {
    const odd = [user(`quote'd-${Date.now()}`), user(`back\\slash-${Date.now()}`), user(`dollar$$-${Date.now()}`), user(`ünï 勾 ${Date.now()}`)];
    const texts = { ...configuration, topic: `It's "quoted" \\ back\\slash $1 $$ E'x'`, context: 'Ünïcode 勾股定理 😀 \n\t' };
    const send = (u: AuthContext, conf: Record<string, unknown>) =>
      client.requestBatched<JobCreatedView>(JobsSubjects.create, { user: u, configuration: conf, priority: JobPriority.NORMAL }).then(
        (v) => v,
        (e: AppError) => e,
      );
    const results = await Promise.all([
      ...odd.map((u) => send(u, texts)),
      send(odd[0], { ...configuration, topic: 'nul \u0000 inside' }),
      send(odd[1], { ...configuration, custom_config: { deep: ['\u0000'] } }),
      send(odd[2], { ...configuration, topic: 'a lone \ud800 surrogate' }),
    ]);
    expect(results.slice(0, 4).every((r) => !(r instanceof AppError))).toBe(true);
    expect(results[4]).toMatchObject({ code: 'VALIDATION_ERROR', status: 422, field_errors: [{ field: 'configuration.topic', code: 'INVALID_VALUE' }] });
    expect(results[5]).toMatchObject({ code: 'VALIDATION_ERROR', status: 422, field_errors: [{ field: 'configuration.custom_config.deep[0]', code: 'INVALID_VALUE' }] });
    expect(results[6]).toMatchObject({ code: 'VALIDATION_ERROR', status: 422, field_errors: [{ field: 'configuration.topic', code: 'INVALID_VALUE', message: SURROGATE_MESSAGE }] });
    for (const [i, u] of odd.entries()) {
      const job = await jobOf(u, (results[i] as JobCreatedView).job_id);
      expect([job.user_id, job.configuration.topic, job.configuration.context]).toEqual([u.user_id, texts.topic, texts.context]);
    }
  });

  it('checks models and premium quality at submission', async () => {
    expect(await fails(create(user('alice'), { configuration: { ...configuration, model: 'gpt-99' } }))).toMatchObject({
      code: 'VALIDATION_ERROR',
      status: 422,
      field_errors: [{ field: 'configuration.model', code: 'INVALID_VALUE', value: 'gpt-99' }],
    });
    await expect(create(user('alice'), { configuration: { ...configuration, model: 'other' } })).resolves.toMatchObject({ status: 'queued' });
    expect(await fails(create(user('alice'), { configuration: { ...configuration, quality: 'ultra' } }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    await expect(create(user('boss', UserRole.ADMIN), { configuration: { ...configuration, quality: 'ultra' } })).resolves.toMatchObject({ status: 'queued' });
  });

  it('honours idempotency keys: same body → the same job, other body → 409', async () => {
    const u = roomy('idem');
    const [a, b] = await Promise.all([create(u, { idempotency_key: 'k1' }), create(u, { idempotency_key: 'k1' })]);
    expect(b.job_id).toBe(a.job_id);
    expect(await fails(create(u, { idempotency_key: 'k1', priority: JobPriority.HIGH }))).toMatchObject({ code: 'CONFLICT', status: 409 });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs.jobs WHERE user_id = 'idem'`);
    expect(rows[0].n).toBe(1);
  });

  it('replays a key with its job as it is now: real status and progress, no estimate once finished', async () => {
    const u = roomy('idem-replay');
    const created = await create(u, { idempotency_key: 'replay-1' });
    expect(created).toMatchObject({ status: 'queued', progress: { percentage: 0, current_stage: null, stages_completed: [], estimated_completion: expect.any(String) } });
    const job = must((await claim('w-replay')).job);
    expect(job.job_id).toBe(created.job_id);
    const lease = { job_id: job.job_id, lease_token: job.lease_token };
    await client.request(JobsSubjects.progress, { ...lease, percentage: 40, current_stage: 'script_generation', stages_completed: ['content_analysis'] });
    const running = await create(u, { idempotency_key: 'replay-1' });
    expect(running).toEqual({
      job_id: created.job_id,
      status: 'processing',
      progress: { percentage: 40, current_stage: 'script_generation', stages_completed: ['content_analysis'], estimated_completion: expect.any(String), processing_time_seconds: expect.any(Number) },
      created_at: created.created_at,
    });
    const stages = ['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation'];
    await client.request(JobsSubjects.complete, { ...lease, result: { video_id: 'v-replay' }, stages_completed: stages });
    const done = await create(u, { idempotency_key: 'replay-1' });
    expect(done).toEqual({
      job_id: created.job_id,
      status: 'completed',
      progress: { percentage: 100, current_stage: 'completed', stages_completed: stages, processing_time_seconds: expect.any(Number) },
      created_at: created.created_at,
    });
    // The replay tells what the job's status view tells.
    const status = await client.request<JobStatusView>(JobsSubjects.status, { user: u, job_id: created.job_id });
    expect(done.progress).toEqual(status.progress);

    // A batch: its parent as it is now.
    const batch = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, idempotency_key: 'replay-batch', jobs: [{ configuration }] });
    await client.request(JobsSubjects.cancel, { user: u, job_id: batch.parent_job.job_id });
    const again = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, idempotency_key: 'replay-batch', jobs: [{ configuration }] });
    expect(again).toEqual({ batch_id: batch.batch_id, job_ids: batch.job_ids, parent_job: { job_id: batch.parent_job.job_id, status: 'cancelled', progress: { percentage: 0, current_stage: null, stages_completed: [] }, created_at: batch.parent_job.created_at } });
    // Several items: the replay names the children in the order of the items, as the first answer did (not by id).
    const items = Array.from({ length: 8 }, (_, i) => ({ configuration: { ...configuration, topic: `Item ${i}` } }));
    const many = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, idempotency_key: 'replay-order', jobs: items });
    const topics = await Promise.all(many.job_ids.map(async (id) => (await jobOf(u, id)).configuration.topic));
    expect(topics).toEqual(items.map((i) => i.configuration.topic));
    const replayed = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, idempotency_key: 'replay-order', jobs: items });
    expect(replayed.job_ids).toEqual(many.job_ids);
  });

  it('creates a new job for a key whose job was deleted, and the key is then the new job\'s', async () => {
    const u = roomy('idem-deleted');
    const first = await create(u, { idempotency_key: 'gone' });
    await client.request(JobsSubjects.delete, { user: u, job_id: first.job_id });
    const [a, b] = await Promise.all([create(u, { idempotency_key: 'gone' }), create(u, { idempotency_key: 'gone' })]);
    expect(a.job_id).not.toBe(first.job_id);
    expect(b.job_id).toBe(a.job_id);
    expect(a).toMatchObject({ status: 'queued', progress: { percentage: 0, estimated_completion: expect.any(String) } });
    await expect(jobOf(u, a.job_id)).resolves.toMatchObject({ id: a.job_id, status: 'queued', is_deleted: false });
    expect(await fails(jobOf(u, first.job_id))).toMatchObject({ code: 'JOB_NOT_FOUND', status: 404 });
    // The key is the new job's: another body is refused again.
    expect(await fails(create(u, { idempotency_key: 'gone', priority: JobPriority.HIGH }))).toMatchObject({ code: 'CONFLICT', status: 409 });
    // Once deleted, a key is free for any body, a batch's too.
    await client.request(JobsSubjects.delete, { user: u, job_id: a.job_id });
    const other = await create(u, { idempotency_key: 'gone', priority: JobPriority.HIGH });
    expect(other.job_id).not.toBe(a.job_id);
    expect(other.status).toBe('queued');
    await client.request(JobsSubjects.delete, { user: u, job_id: other.job_id });
    const batch = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, idempotency_key: 'gone', jobs: [{ configuration }] });
    expect(batch.parent_job).toMatchObject({ status: 'queued' });
    await client.request(JobsSubjects.delete, { user: u, job_id: batch.parent_job.job_id });
    const batch2 = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, idempotency_key: 'gone', jobs: [{ configuration }] });
    expect(batch2.batch_id).not.toBe(batch.batch_id);
    // One live holder of the key; the deleted jobs let it go.
    const { rows } = await db.query(`SELECT id, is_deleted FROM jobs.jobs WHERE user_id = 'idem-deleted' AND idempotency_key = 'gone'`);
    expect(rows).toEqual([{ id: batch2.parent_job.job_id, is_deleted: false }]);
  });

  it('claims by priority, then fairly between users, then by age', async () => {
    const greedy = roomy('greedy');
    const low = await create(roomy('x'), { priority: JobPriority.LOW });
    const g = [];
    for (let i = 0; i < 4; i++) g.push(await create(greedy));
    const single = await create(roomy('single'));
    const urgent = await create(roomy('y'), { priority: JobPriority.URGENT });
    const order: string[] = [];
    for (let i = 0; i < 7; i++) order.push((await claim(`w${i}`)).job?.job_id ?? 'none');
    // urgent first; greedy's oldest; then the single user's job before greedy's second (fewer processing).
    expect(order.slice(0, 3)).toEqual([urgent.job_id, g[0].job_id, single.job_id]);
    expect(order.slice(3, 6).sort()).toEqual([g[1].job_id, g[2].job_id, g[3].job_id].sort());
    expect(order[6]).toBe(low.job_id);
    expect((await claim()).job).toBeNull();
  });

  it('serves a user with one job before the second job of users with 600 queued ahead of it', async () => {
    // 500 + 100 queued batch children, all older than the lonely job: more than the claim's window.
    const items = Array.from({ length: 50 }, () => ({ configuration }));
    for (let b = 0; b < 10; b++) await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: roomy('heavy-1'), jobs: items });
    for (let b = 0; b < 2; b++) await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: roomy('heavy-2'), jobs: items });
    const lonely = await create(roomy('lonely'));
    const owners: string[] = [];
    for (let i = 0; i < 4; i++) owners.push((await claim(`f${i}`)).job?.user_id ?? 'none');
    // Every user's first job before anyone's second: heavy-1's and heavy-2's oldest, then lonely's.
    expect(owners.slice(0, 3).sort()).toEqual(['heavy-1', 'heavy-2', 'lonely']);
    const { rows } = await db.query(`SELECT status FROM jobs.jobs WHERE id = $1`, [lonely.job_id]);
    expect(rows[0].status).toBe('processing');
  });

  it('runs a job: lease, monotonic progress, events with seq, completion exactly once', async () => {
    const u = roomy('runner');
    const created = await create(u);
    const seen: JobEvent[] = [];
    const sub = client.subscribe<JobEvent>(JobsEvents.updated, (ev) => ev.job_id === created.job_id && seen.push(ev));
    const { job } = await claim('w-run');
    expect(job).toMatchObject({ job_id: created.job_id, attempt: 1, max_retries: 3, lease_token: expect.any(String), configuration });
    const lease = { job_id: must(job).job_id, lease_token: must(job).lease_token };
    const p1 = await client.request<LeaseState>(JobsSubjects.progress, { ...lease, percentage: 40, current_stage: 'script_generation', stages_completed: ['content_analysis'] });
    expect(p1.cancel_requested).toBe(false);
    await client.request(JobsSubjects.progress, { ...lease, percentage: 20, current_stage: 'script_generation', stages_completed: [] });
    const mid = await client.request<JobStatusView>(JobsSubjects.status, { user: u, job_id: created.job_id });
    expect(mid.progress).toMatchObject({ percentage: 40, current_stage: 'script_generation', stages_completed: ['content_analysis'], estimated_completion: expect.any(String) });
    expect(mid.progress.processing_time_seconds).toBeGreaterThanOrEqual(0);
    expect(await fails(client.request(JobsSubjects.progress, { ...lease, percentage: 50, current_stage: 'dreaming', stages_completed: [] }))).toMatchObject({ status: 400 });
    await expect(client.request(JobsSubjects.renew, lease)).resolves.toMatchObject({ cancel_requested: false });
    expect(await fails(client.request(JobsSubjects.renew, { ...lease, lease_token: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ code: 'LEASE_LOST', status: 409 });
    const stages = ['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation'];
    await expect(client.request(JobsSubjects.complete, { ...lease, result: { video_id: 'v1' }, stages_completed: stages })).resolves.toEqual({ status: 'completed' });
    // The same holder repeating itself is answered again; nothing changes.
    await expect(client.request(JobsSubjects.complete, { ...lease, result: { video_id: 'v2' }, stages_completed: stages })).resolves.toEqual({ status: 'completed' });
    const done = await jobOf(u, created.job_id);
    expect(done).toMatchObject({ status: 'completed', result: { video_id: 'v1' }, progress: { percentage: 100, current_stage: 'completed', stages_completed: stages } });
    expect(done.progress.processing_time_seconds).toBeGreaterThanOrEqual(0);
    await waitFor(() => seen.some((e) => e.status === 'completed'), { what: 'completed event' });
    sub.unsubscribe();
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(seen.map((e) => e.type)).toEqual(['status', 'stage', 'progress', 'status']);
    const since = await client.request<EventsSinceResponse>(JobsSubjects.eventsSince, { user: u, job_id: created.job_id, after_seq: 2 });
    expect(since.events.map((e) => e.seq)).toEqual([3, 4]);
    expect(since.current).toMatchObject({ seq: 4, status: 'completed' });
    const logs = await client.request<PaginatedResponse<JobLogEntry>>(JobsSubjects.logs, { user: u, job_id: created.job_id, page: 1, items_per_page: 10, sort_order: 'asc' });
    expect(logs.pagination.total_items).toBe(5);
    expect(logs.items[0].message).toContain('queued');
    const errorsOnly = await client.request<PaginatedResponse<JobLogEntry>>(JobsSubjects.logs, { user: u, job_id: created.job_id, page: 1, items_per_page: 10, sort_order: 'asc', level: 'error' });
    expect(errorsOnly.items).toEqual([]);
  });

  it('retries retryable failures with backoff, fails the others at once, and past max_retries', async () => {
    const u = roomy('failer');
    const a = await create(u);
    let { job } = await claim();
    const r1 = await client.request<FailResponse>(JobsSubjects.fail, { job_id: a.job_id, lease_token: must(job).lease_token, error_code: 'RENDER_FAILED', error_message: 'boom', retryable: true });
    expect(r1).toEqual({ status: 'queued', next_attempt_at: expect.any(String) });
    for (let attempt = 2; attempt <= 3; attempt++) {
      job = (await waitFor(async () => (await claim()).job, { what: `attempt ${attempt}` })) as typeof job;
      expect(job).toMatchObject({ job_id: a.job_id, attempt });
      await client.request(JobsSubjects.fail, { job_id: a.job_id, lease_token: must(job).lease_token, error_code: 'RENDER_FAILED', error_message: 'boom', retryable: true });
    }
    const failed = await jobOf(u, a.job_id);
    expect(failed).toMatchObject({ status: 'failed', error: { error_code: 'RENDER_FAILED', retry_count: 3, max_retries: 3 } });

    const b = await create(u);
    ({ job } = await claim());
    await expect(
      client.request(JobsSubjects.fail, { job_id: b.job_id, lease_token: must(job).lease_token, error_code: 'CONTENT_GENERATION_FAILED', error_message: 'refused', retryable: false }),
    ).resolves.toEqual({ status: 'failed' });
    expect(await jobOf(u, b.job_id)).toMatchObject({ status: 'failed', error: { retry_count: 1 } });
    // Retry queues it again, from scratch; an active job is not retried.
    await expect(client.request(JobsSubjects.retry, { user: u, job_id: b.job_id })).resolves.toMatchObject({ status: 'queued', retry_count: 0 });
    expect(await fails(client.request(JobsSubjects.retry, { user: u, job_id: b.job_id }))).toMatchObject({ code: 'CONFLICT', status: 409, details: { status: 'queued' } });
  });

  it('requeues a job whose worker stopped renewing; the presumed-dead worker cannot complete it', async () => {
    const u = roomy('lazarus');
    const a = await create(u);
    const first = must((await claim('dead')).job);
    const second = await waitFor(async () => (await claim('alive')).job, { timeoutMs: 6000, what: 'requeue after lease expiry' });
    expect(second).toMatchObject({ job_id: a.job_id, attempt: 2 });
    expect(await fails(client.request(JobsSubjects.complete, { job_id: a.job_id, lease_token: first.lease_token, result: { video_id: 'zombie' }, stages_completed: [] }))).toMatchObject({
      code: 'LEASE_LOST',
      status: 409,
    });
    await client.request(JobsSubjects.complete, { job_id: a.job_id, lease_token: second.lease_token, result: { video_id: 'real' }, stages_completed: [] });
    expect(await jobOf(u, a.job_id)).toMatchObject({ status: 'completed', result: { video_id: 'real' }, retry_count: 2 });
  });

  it('a released job is queued again without counting the attempt', async () => {
    const a = await create(roomy('release'));
    const { job } = await claim();
    await expect(client.request(JobsSubjects.release, { job_id: a.job_id, lease_token: must(job).lease_token })).resolves.toEqual({ ok: true });
    const again = must((await claim()).job);
    expect(again).toMatchObject({ job_id: a.job_id, attempt: 1 });
  });

  it('cancels queued jobs at once and tells the worker of a processing one', async () => {
    const u = roomy('canceller');
    const queued = await create(u);
    await expect(client.request(JobsSubjects.cancel, { user: u, job_id: queued.job_id })).resolves.toMatchObject({ status: 'cancelled' });
    expect(await fails(client.request(JobsSubjects.cancel, { user: u, job_id: queued.job_id }))).toMatchObject({ code: 'JOB_CANNOT_BE_CANCELLED', status: 409 });

    const running = await create(u);
    const { job } = await claim();
    const told: string[] = [];
    const sub = client.subscribe<{ job_id: string }>(JobsEvents.cancelled, (m) => told.push(m.job_id));
    await nc.flush();
    expect(await fails(client.request(JobsSubjects.cancel, { user: user('stranger'), job_id: running.job_id }))).toMatchObject({ status: 404 });
    await client.request(JobsSubjects.cancel, { user: u, job_id: running.job_id });
    await waitFor(() => told.includes(running.job_id), { timeoutMs: 2000, what: 'cancelled event' });
    sub.unsubscribe();
    const lease = { job_id: running.job_id, lease_token: must(job).lease_token };
    await expect(client.request(JobsSubjects.renew, lease)).resolves.toMatchObject({ cancel_requested: true });
    expect(await fails(client.request(JobsSubjects.complete, { ...lease, result: {}, stages_completed: [] }))).toMatchObject({ code: 'LEASE_LOST' });
    expect(await jobOf(u, running.job_id)).toMatchObject({ status: 'cancelled' });

    const finished = await create(u);
    const f = must((await claim()).job);
    await client.request(JobsSubjects.complete, { job_id: finished.job_id, lease_token: f.lease_token, result: {}, stages_completed: [] });
    expect(await fails(client.request(JobsSubjects.cancel, { user: u, job_id: finished.job_id }))).toMatchObject({ code: 'JOB_ALREADY_COMPLETED', status: 409 });
    // Nor is a completed job retried: the spec's own code says why.
    expect(await fails(client.request(JobsSubjects.retry, { user: u, job_id: finished.job_id }))).toMatchObject({ code: 'JOB_ALREADY_COMPLETED', status: 409, details: { status: 'completed' } });
    // Delete is soft and hides the job.
    await expect(client.request(JobsSubjects.delete, { user: u, job_id: finished.job_id })).resolves.toMatchObject({ is_deleted: true });
    expect(await fails(jobOf(u, finished.job_id))).toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('never leaves a deleted job active when a retry races the delete', async () => {
    const u = roomy('racer');
    for (let i = 0; i < 30; i++) {
      const j = await create(u);
      await client.request(JobsSubjects.cancel, { user: u, job_id: j.job_id });
      // The delete cancels first, then marks deleted; a retry may land between the two, or after.
      await Promise.allSettled([client.request(JobsSubjects.delete, { user: u, job_id: j.job_id }), client.request(JobsSubjects.retry, { user: u, job_id: j.job_id })]);
    }
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs.jobs WHERE user_id = 'racer' AND is_deleted AND status IN ('queued', 'processing')`);
    expect(rows[0].n).toBe(0);
    const deleted = await db.query(`SELECT count(*)::int AS n FROM jobs.jobs WHERE user_id = 'racer' AND is_deleted`);
    expect(deleted.rows[0].n).toBe(30);
  });

  it('keeps a batch parent true to its children when a batch retry races the delete of a child', async () => {
    const u = user('batch-racer', UserRole.USER, { max_concurrent_jobs: 100, max_daily_jobs: 1000 });
    const parents: string[] = [];
    for (let i = 0; i < 30; i++) {
      const b = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, priority: JobPriority.LOW, jobs: [{ configuration }, { configuration }] });
      await client.request(JobsSubjects.cancel, { user: u, job_id: b.parent_job.job_id });
      // The retry may requeue the child between the delete's look at it and its statement.
      await Promise.allSettled([client.request(JobsSubjects.delete, { user: u, job_id: b.job_ids[0] }), client.request(JobsSubjects.retry, { user: u, job_id: b.parent_job.job_id })]);
      parents.push(b.parent_job.job_id);
    }
    const { rows } = await db.query(
      `SELECT p.id, p.status,
              count(*) FILTER (WHERE k.status IN ('completed', 'failed', 'cancelled'))::int AS done,
              count(*) FILTER (WHERE k.status = 'processing')::int AS running, count(*)::int AS total
       FROM jobs.jobs p JOIN jobs.jobs k ON k.parent_job_id = p.id WHERE p.id = ANY($1) GROUP BY p.id, p.status`,
      [parents],
    );
    const expected = (r: { done: number; running: number; total: number }) =>
      r.done === r.total ? 'cancelled' : r.running || r.done ? 'processing' : 'queued';
    expect(rows.filter((r) => r.status !== expected(r))).toEqual([]);
    expect(rows).toHaveLength(30);
  });

  it('never deadlocks a batch delete against its retry or a child cancel: every request is answered, none with a 5xx', async () => {
    // The delete locks the batch and its children together; the retry and a child's cancel lock a
    // child and the batch. Taken in different orders, PostgreSQL aborts one of them (40P01, a 500).
    const u = user('family-racer', UserRole.USER, { max_concurrent_jobs: 100, max_daily_jobs: 10_000 });
    const deadlocksBefore = await txRetries('deadlock');
    const outcomes: string[] = [];
    const parents: string[] = [];
    const answer = (p: Promise<unknown>) => p.then(() => 'ok', (e: AppError) => `${e.status} ${e.code}`);
    for (let i = 0; i < 25; i++) {
      const b = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, priority: JobPriority.LOW, jobs: [{ configuration }, { configuration }, { configuration }] });
      await client.request(JobsSubjects.cancel, { user: u, job_id: b.parent_job.job_id });
      parents.push(b.parent_job.job_id);
      // A cancelled batch: deleted, retried (its children queued again) and its children cancelled, all at once.
      outcomes.push(
        ...(await Promise.all([
          answer(client.request(JobsSubjects.delete, { user: u, job_id: b.parent_job.job_id })),
          answer(client.request(JobsSubjects.retry, { user: u, job_id: b.parent_job.job_id })),
          ...b.job_ids.map((id) => answer(client.request(JobsSubjects.cancel, { user: u, job_id: id }))),
        ])),
      );
      // And the pair alone, on a failed batch.
      const f = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, priority: JobPriority.LOW, jobs: [{ configuration }, { configuration }] });
      await db.query(`UPDATE jobs.jobs SET status = 'failed', completed_at = now() WHERE batch_id = $1`, [f.batch_id]);
      parents.push(f.parent_job.job_id);
      outcomes.push(
        ...(await Promise.all([
          answer(client.request(JobsSubjects.retry, { user: u, job_id: f.parent_job.job_id })),
          answer(client.request(JobsSubjects.delete, { user: u, job_id: f.parent_job.job_id })),
        ])),
      );
    }
    // Each may lose its race (404 once deleted, 409 once finished), never with a server error.
    expect(outcomes.filter((o) => !/^(ok|404 JOB_NOT_FOUND|409 (JOB_CANNOT_BE_CANCELLED|CONFLICT))$/.test(o))).toEqual([]);
    // No deadlock was even met (the safety net retrying one would hide it from the answers).
    expect((await txRetries('deadlock')) - deadlocksBefore).toBe(0);
    // Every batch is gone, and nothing of it is left queued for a worker.
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE NOT is_deleted)::int AS kept, count(*) FILTER (WHERE status IN ('queued', 'processing'))::int AS active
       FROM jobs.jobs WHERE id = ANY($1) OR parent_job_id = ANY($1)`,
      [parents],
    );
    expect(rows[0]).toEqual({ kept: 0, active: 0 });
  });

  it('never deadlocks workers reporting on batch children against their cancel and the batch delete', async () => {
    const u = user('worker-racer', UserRole.USER, { max_concurrent_jobs: 100, max_daily_jobs: 10_000 });
    const deadlocksBefore = await txRetries('deadlock');
    const outcomes: string[] = [];
    const parents: string[] = [];
    const answer = (p: Promise<unknown>) => p.then(() => 'ok', (e: AppError) => `${e.status} ${e.code}`);
    for (let i = 0; i < 20; i++) {
      const b = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, priority: JobPriority.URGENT, jobs: [{ configuration }, { configuration }, { configuration }] });
      parents.push(b.parent_job.job_id);
      const leases = [must((await claim('race-a')).job), must((await claim('race-b')).job)].map((j) => ({ job_id: j.job_id, lease_token: j.lease_token }));
      outcomes.push(
        ...(await Promise.all([
          answer(client.request(JobsSubjects.progress, { ...leases[0], percentage: 30, current_stage: 'script_generation', stages_completed: ['content_analysis'] })),
          answer(client.request(JobsSubjects.complete, { ...leases[1], result: { video_id: `v${i}` }, stages_completed: [] })),
          answer(client.request(JobsSubjects.cancel, { user: u, job_id: leases[0].job_id })),
          answer(client.request(JobsSubjects.delete, { user: u, job_id: b.parent_job.job_id })),
          answer(claim('race-c')),
          answer(client.request(JobsSubjects.fail, { ...leases[0], error_code: 'RENDER_FAILED', error_message: 'boom', retryable: true })),
          answer(client.request(JobsSubjects.retry, { user: u, job_id: b.parent_job.job_id })),
        ])),
      );
    }
    // A worker may find its lease gone (409), a user the job deleted (404) or finished (409).
    expect(outcomes.filter((o) => !/^(ok|404 JOB_NOT_FOUND|409 (LEASE_LOST|JOB_CANNOT_BE_CANCELLED|JOB_ALREADY_COMPLETED|CONFLICT))$/.test(o))).toEqual([]);
    expect((await txRetries('deadlock')) - deadlocksBefore).toBe(0);
    // Deleted batches keep nothing active, and each parent tells its children's state.
    const { rows } = await db.query(
      `SELECT p.status, p.is_deleted, count(*) FILTER (WHERE k.status IN ('queued', 'processing'))::int AS active
       FROM jobs.jobs p JOIN jobs.jobs k ON k.parent_job_id = p.id WHERE p.id = ANY($1) GROUP BY p.id`,
      [parents],
    );
    expect(rows.filter((r) => !r.is_deleted || r.active > 0 || !['completed', 'cancelled'].includes(r.status))).toEqual([]);
  });

  it('runs batches: a parent mirrors its children, names failures, and cancels them with it', async () => {
    const u = roomy('batcher');
    const batch = await client.request<BatchCreatedView>(JobsSubjects.createBatch, {
      user: u,
      priority: JobPriority.NORMAL,
      jobs: [{ configuration }, { configuration, priority: JobPriority.HIGH }],
    });
    expect(batch.job_ids).toHaveLength(2);
    const parent = await jobOf(u, batch.parent_job.job_id);
    expect(parent).toMatchObject({ job_type: 'batch_video_generation', batch_id: batch.batch_id, status: 'queued' });
    const kid = await jobOf(u, batch.job_ids[0]);
    expect(kid).toMatchObject({ batch_id: batch.batch_id, parent_job_id: parent.id });
    const c1 = must((await claim()).job);
    expect(c1.job_id).toBe(batch.job_ids[1]);
    await client.request(JobsSubjects.complete, { job_id: c1.job_id, lease_token: c1.lease_token, result: { video_id: 'v' }, stages_completed: [] });
    expect(await jobOf(u, parent.id)).toMatchObject({ status: 'processing', progress: { percentage: 50 } });
    const c2 = must((await claim()).job);
    await client.request(JobsSubjects.fail, { job_id: c2.job_id, lease_token: c2.lease_token, error_code: 'CONTENT_GENERATION_FAILED', error_message: 'no', retryable: false });
    expect(await jobOf(u, parent.id)).toMatchObject({
      status: 'completed',
      result: { children: 2, completed: [c1.job_id], failed: [{ job_id: c2.job_id, error_code: 'CONTENT_GENERATION_FAILED' }] },
    });
    // A child is retried through its batch: the completed batch queues its failed child again.
    expect(await fails(client.request(JobsSubjects.retry, { user: u, job_id: c2.job_id }))).toMatchObject({ code: 'CONFLICT', status: 409 });
    const retried = await client.request<Job>(JobsSubjects.retry, { user: u, job_id: parent.id });
    expect(retried).toMatchObject({ status: 'processing', progress: { percentage: 50, estimated_completion: expect.any(String) } });
    expect([retried.result ?? null, retried.error ?? null]).toEqual([null, null]);
    expect(await jobOf(u, c2.job_id)).toMatchObject({ status: 'queued', retry_count: 0 });
    const again = must((await claim()).job);
    expect(again.job_id).toBe(c2.job_id);
    await client.request(JobsSubjects.complete, { job_id: again.job_id, lease_token: again.lease_token, result: { video_id: 'v2' }, stages_completed: [] });
    expect(await jobOf(u, parent.id)).toMatchObject({ status: 'completed', result: { completed: expect.arrayContaining([c1.job_id, c2.job_id]), failed: [] } });
    // Nothing left to redo.
    expect(await fails(client.request(JobsSubjects.retry, { user: u, job_id: parent.id }))).toMatchObject({ code: 'JOB_ALREADY_COMPLETED', status: 409 });
    const listed = await client.request<PaginatedResponse<JobListItem>>(JobsSubjects.list, { user: u, page: 1, items_per_page: 10, sort_order: 'asc', sort_by: 'created_at', batch_id: batch.batch_id });
    expect(listed.pagination.total_items).toBe(3);

    const b2 = await client.request<BatchCreatedView>(JobsSubjects.createBatch, { user: u, priority: JobPriority.LOW, jobs: [{ configuration }, { configuration }] });
    const running = must((await claim()).job);
    await client.request(JobsSubjects.cancel, { user: u, job_id: b2.parent_job.job_id });
    for (const id of b2.job_ids) expect(await jobOf(u, id)).toMatchObject({ status: 'cancelled' });
    await expect(client.request(JobsSubjects.renew, { job_id: running.job_id, lease_token: running.lease_token })).resolves.toMatchObject({ cancel_requested: true });
    // A retried batch starts from scratch, as a single job does: no start time, progress and estimate from its children.
    const b2again = await client.request<Job>(JobsSubjects.retry, { user: u, job_id: b2.parent_job.job_id });
    expect(b2again).toMatchObject({ status: 'queued', progress: { percentage: 0, estimated_completion: expect.any(String) } });
    expect(b2again.started_at ?? null).toBeNull();
    expect(b2again.progress.processing_time_seconds ?? null).toBeNull();
  });

  it('lists with filters, sorting and pagination; only admins list others', async () => {
    const u = roomy('lister');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(u, { priority: i % 2 ? JobPriority.HIGH : JobPriority.LOW })).job_id);
    const list = (q: Record<string, unknown>, who = u) =>
      client.request<PaginatedResponse<JobListItem>>(JobsSubjects.list, { user: who, page: 1, items_per_page: 10, sort_order: 'desc', sort_by: 'created_at', ...q });
    const p2 = await list({ page: 2, items_per_page: 2 });
    expect(p2.items.map((i) => i.job_id)).toEqual([ids[2], ids[1]]);
    expect(p2.pagination).toEqual({ page: 2, items_per_page: 2, total_items: 5, total_pages: 3, has_next: true, has_previous: true });
    expect((await list({ priority: 'high' })).items).toHaveLength(2);
    expect((await list({ sort_by: 'priority', sort_order: 'desc' })).items[0].priority).toBe('high');
    expect((await list({ status: 'completed' })).items).toHaveLength(0);
    expect(await fails(list({ all: true }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect((await list({ user_id: 'lister' }, user('root', UserRole.ADMIN))).pagination.total_items).toBe(5);
  });

  it('reports queue status and stats', async () => {
    await create(roomy('q1'), { priority: JobPriority.URGENT });
    const q = await client.request<QueueStatusView>(JobsSubjects.queueStatus, {});
    expect(q).toMatchObject({ queue_length: 1, by_priority: { urgent: 1, high: 0, normal: 0, low: 0 }, running_jobs: 0, expected_wait_seconds: expect.any(Number) });
    const s = await client.request<JobStatsView>(JobsSubjects.stats, { window_minutes: 60 });
    expect(s).toMatchObject({ window_minutes: 60, queue_length: 1, stuck_jobs: 0, jobs_by_status: { completed: expect.any(Number) } });
    expect(s.success_rate_percent).toBeGreaterThan(0);

    // The same figures on /metrics: queue depth by priority and created jobs by type.
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^jobs_queue_depth\{(?=[^}]*service="jobs")(?=[^}]*priority="urgent")[^}]*\} 1$/m);
    expect(metrics).toMatch(/^jobs_stuck\{[^}]*\} 0$/m);
    expect(metrics).toMatch(/^jobs_created_total\{(?=[^}]*job_type="video_generation")(?=[^}]*priority="urgent")[^}]*\} [1-9]\d*$/m);
  });
});
