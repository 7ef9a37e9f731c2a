import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { http, tokenFor, waitFor } from '@vgp/testing';
import { ALL_SERVICES, type Platform, startPlatform } from './platform.js';

const body = { configuration: { topic: 'Pythagorean theorem', context: 'Right triangles, for 8th graders', quality: 'low' } };

describe('the platform, end to end', () => {
  let p: Platform;
  let token: string;

  beforeAll(async () => {
    token = await tokenFor('e2e-alice');
    p = await startPlatform('foundation', { RPC_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('creates a queued job and serves it as status and as a full job', async () => {
    const created = await http('POST', `${p.api}/videos/generate`, { token, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'success',
      message: 'Job created successfully',
      data: { job_id: expect.any(String), status: 'queued', progress: { percentage: 0, current_stage: null, stages_completed: [] } },
      request_id: created.headers.get('x-request-id'),
    });
    const id = created.body.data.job_id;
    const status = await http('GET', `${p.api}/videos/jobs/${id}/status`, { token });
    expect(status.status).toBe(200);
    // Served from the gateway's status cache (seeded by the create), as a pre-serialised envelope.
    expect(status.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(status.body).toMatchObject({ status: 'success', message: 'Job status retrieved', request_id: status.headers.get('x-request-id'), timestamp: expect.stringMatching(/Z$/) });
    // The platform's render worker may already have claimed the job (within milliseconds).
    if (status.body.data.status === 'queued') {
      expect(status.body.data).toEqual({ job_id: id, status: 'queued', progress: created.body.data.progress, created_at: created.body.data.created_at, updated_at: created.body.data.created_at });
    } else {
      expect(status.body.data).toMatchObject({ job_id: id, status: 'processing', created_at: created.body.data.created_at, started_at: expect.stringMatching(/Z$/) });
    }
    const job = await http('GET', `${p.api}/jobs/${id}`, { token });
    expect(job.body.data).toMatchObject({ id, user_id: 'e2e-alice', job_type: 'video_generation', priority: 'normal', is_deleted: false });
    expect(job.body.data.configuration).toMatchObject({ ...body.configuration, enable_subtitles: true, enable_thumbnails: true, output_format: 'mp4', use_rag: false });

    const foreign = await http('GET', `${p.api}/jobs/${id}`, { token: await tokenFor('e2e-mallory') });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('JOB_NOT_FOUND');
  });

  it('every service answers /health/live, /health/ready and /metrics', async () => {
    for (const name of ALL_SERVICES) {
      const svc = p.service(name);
      expect((await http('GET', `${svc.url}/health/live`)).status).toBe(200);
      const ready = await http('GET', `${svc.url}/health/ready`);
      expect([name, ready.status, ready.body.info?.nats?.status]).toEqual([name, 200, 'up']);
      const metrics = await http('GET', `${svc.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain(`service="${name}"`);
    }
  });

  it('survives NATS going away and coming back: 503 quickly while down, then every service reconnects', async () => {
    await p.nats.down();
    const started = Date.now();
    const during = await http('POST', `${p.api}/videos/generate`, { token, body });
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000);

    await p.nats.up();
    const after = await waitFor(
      async () => {
        const r = await http('POST', `${p.api}/videos/generate`, { token, body });
        return r.status === 201 ? r : null;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'job creation after NATS restart' },
    );
    expect(after.body.data.status).toBe('queued');
    for (const name of ALL_SERVICES) {
      await waitFor(async () => (await http('GET', `${p.service(name).url}/health/ready`)).status === 200, { timeoutMs: 20_000, what: `${name} ready again` });
    }
  });
});
