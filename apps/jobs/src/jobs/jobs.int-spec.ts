import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AppError,
  type AuthContext,
  type Job,
  type JobCreatedView,
  JobPriority,
  JobStatus,
  type JobStatusView,
  JobsSubjects,
  ROLE_DEFAULT_PERMISSIONS,
  UserRole,
  UserStatus,
  VideoQuality,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { createTestInfra, type RunningService, startService, type TestInfra } from '@vgp/testing';
import pg from 'pg';
import { AppModule } from '../app.module.js';
import { JobsConfig } from '../jobs.config.js';

const user = (id: string, role = UserRole.USER): AuthContext => ({
  user_id: id,
  role,
  status: UserStatus.ACTIVE,
  permissions: { user_id: id, role, ...ROLE_DEFAULT_PERMISSIONS[role] },
});
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

  beforeAll(async () => {
    infra = await createTestInfra('jobs');
    svc = await startService({ module: AppModule, config: JobsConfig, service: 'jobs', env: infra.env });
    nc = await connect({ servers: infra.natsUrl });
    client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 2000 });
  });

  afterAll(async () => {
    await nc?.close();
    await svc?.close();
    await infra?.cleanup();
  });

  it('applied its migrations to its own schema', async () => {
    const db = new pg.Client({ connectionString: infra.databaseUrl });
    await db.connect();
    const { rows } = await db.query(`SELECT name FROM jobs.migrations ORDER BY id`);
    await db.end();
    expect(rows.map((r) => r.name)).toContain('CreateJobs1764000000000');
  });

  it('creates a durable queued job and returns it in the spec shapes', async () => {
    const created = await client.request<JobCreatedView>(JobsSubjects.create, { user: user('alice'), configuration, priority: JobPriority.HIGH });
    expect(created).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: JobStatus.QUEUED,
      progress: expect.objectContaining({ percentage: 0, current_stage: null, stages_completed: [] }),
      created_at: expect.any(String),
    });

    const status = await client.request<JobStatusView>(JobsSubjects.status, { user: user('alice'), job_id: created.job_id });
    expect(status).toMatchObject({ job_id: created.job_id, status: 'queued', created_at: created.created_at });

    const job = await client.request<Job>(JobsSubjects.get, { user: user('alice'), job_id: created.job_id });
    expect(job).toMatchObject({
      id: created.job_id,
      user_id: 'alice',
      job_type: 'video_generation',
      priority: 'high',
      status: 'queued',
      is_deleted: false,
      configuration,
    });
  });

  it('answers JOB_NOT_FOUND (404) for a missing, malformed or foreign job', async () => {
    const created = await client.request<JobCreatedView>(JobsSubjects.create, { user: user('alice'), configuration, priority: JobPriority.NORMAL });
    for (const [who, id] of [
      [user('bob'), created.job_id],
      [user('alice'), '00000000-0000-4000-8000-000000000000'],
      [user('alice'), "1' OR '1'='1"],
    ] as const) {
      const err = await client.request(JobsSubjects.get, { user: who, job_id: id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'JOB_NOT_FOUND', status: 404 });
    }
    // An admin who may view all jobs sees it.
    await expect(client.request(JobsSubjects.get, { user: user('root', UserRole.ADMIN), job_id: created.job_id })).resolves.toMatchObject({ id: created.job_id });
  });

  it('serves /health/ready and /metrics on its HTTP port', async () => {
    const ready = await fetch(`${svc.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, nats: { status: 'up' } } });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/nats_handler_duration_seconds_count\{service="jobs",version="[^"]+",subject="jobs\.v1\.job\.create",outcome="ok"\} \d+/);
    expect(metrics).toContain('process_cpu_seconds_total');
  });
});
