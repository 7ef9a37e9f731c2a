import { describe, expect, it } from '@jest/globals';
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
