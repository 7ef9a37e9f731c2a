import { describe, expect, it } from '@jest/globals';
import { AppError, PipelineStage, type ProgressReport } from '@vgp/contracts';
import type { StageProgress } from '../pipeline/render-pipeline.js';
import type { JobsClient } from './jobs.client.js';
import { ProgressReporter } from './progress-reporter.js';

/** Records reports; each answer takes `delayMs` (a request in flight). */
function recorder(delayMs: number, answer: () => unknown = () => null) {
  const sent: ProgressReport[] = [];
  const jobs = {
    progress: async (r: ProgressReport) => {
      sent.push(r);
      await new Promise((res) => setTimeout(res, delayMs));
      const a = answer();
      if (a instanceof Error) throw a;
      return a;
    },
  } as unknown as JobsClient;
  return { sent, jobs };
}

const at = (stage: PipelineStage, percentage: number, message = `${stage} ${percentage}`): StageProgress => ({ stage, percentage, stagesCompleted: [], message });

describe('ProgressReporter', () => {
  it('throttles within a stage, keeps every stage start, never goes back', async () => {
    const { sent, jobs } = recorder(20);
    const r = new ProgressReporter(jobs, { job_id: 'j', lease_token: 't' }, 1000, () => undefined);
    r.report(at(PipelineStage.CONTENT_ANALYSIS, 0, 'Starting content analysis'));
    for (let p = 1; p <= 5; p++) r.report(at(PipelineStage.CONTENT_ANALYSIS, p));
    r.report(at(PipelineStage.SCRIPT_GENERATION, 5, 'Starting script generation'));
    r.report(at(PipelineStage.SCRIPT_GENERATION, 9));
    r.report(at(PipelineStage.SCRIPT_GENERATION, 4));
    await r.close();
    expect(sent.map((s) => [s.current_stage, s.percentage, s.message])).toEqual([
      ['content_analysis', 0, 'Starting content analysis'],
      ['script_generation', 5, 'Starting script generation'],
      // The latest report wins; its percentage is raised to the highest sent so far.
      ['script_generation', 5, 'script_generation 4'],
    ]);
  });

  it('stops the job when the answer says cancelled or the lease is lost', async () => {
    const stops: string[] = [];
    const cancelled = recorder(1, () => ({ lease_expires_at: '', cancel_requested: true }));
    const a = new ProgressReporter(cancelled.jobs, { job_id: 'j', lease_token: 't' }, 0, (why) => stops.push(why));
    a.report(at(PipelineStage.VIDEO_GENERATION, 20));
    await a.close();
    const lost = recorder(1, () => new AppError('LEASE_LOST', 409, 'lost'));
    const b = new ProgressReporter(lost.jobs, { job_id: 'j', lease_token: 't' }, 0, (why) => stops.push(why));
    b.report(at(PipelineStage.VIDEO_GENERATION, 20));
    await b.close();
    expect(stops).toEqual(['cancelled', 'lease_lost']);
  });
});
