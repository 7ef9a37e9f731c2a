import { describe, expect, it } from '@jest/globals';
import { loggableUrl } from './all-exceptions.filter.js';
import { successEnvelope, successEnvelopeJson } from './envelope.interceptor.js';

describe('successEnvelopeJson', () => {
  const cases: Array<[unknown, string, string]> = [
    [{ job_id: 'b3c1', status: 'queued', progress: { percentage: 0, current_stage: null, stages_completed: [] } }, 'Job status retrieved', 'req_1'],
    [{ title: 'Ünïcödé "quoted" \\ back\nslash 🎉 数学', n: [1, 2.5, -0, null, true] }, 'Say "hi"\n', 'id with "quotes" and \\'],
    [null, 'OK', 'r'],
    [[], '', ''],
  ];

  it('writes exactly what JSON.stringify writes for the same envelope', () => {
    for (const [data, message, id] of cases) {
      const fast = successEnvelopeJson(JSON.stringify(data), message, id);
      const parsed = JSON.parse(fast) as { timestamp: string };
      expect(Date.parse(parsed.timestamp)).not.toBeNaN();
      const slow = { ...successEnvelope(data, message, id), timestamp: parsed.timestamp };
      expect(fast).toBe(JSON.stringify(slow));
    }
  });
});

describe('loggableUrl', () => {
  it('keeps tokens and link signatures in the query out of the logs', () => {
    expect(loggableUrl('/api/v1/jobs/j1/events?token=eyJ.abc.def&last_event_id=2')).toBe('/api/v1/jobs/j1/events?token=[redacted]&last_event_id=2');
    expect(loggableUrl('/api/v1/videos/jobs/j1/thumbnail?size=small&expires=1&signature=ab12')).toBe('/api/v1/videos/jobs/j1/thumbnail?size=small&expires=1&signature=[redacted]');
    expect(loggableUrl('/api/v1/jobs?page=2')).toBe('/api/v1/jobs?page=2');
  });
});
