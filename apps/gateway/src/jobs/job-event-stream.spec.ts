import { describe, expect, it } from '@jest/globals';
import { type AuthContext, type JobEvent, JobStatus, ROLE_DEFAULT_PERMISSIONS, UserRole, UserStatus } from '@vgp/contracts';
import { JobEventStream } from './job-event-stream.js';

const user = (id: string, role = UserRole.USER): AuthContext => ({
  user_id: id,
  role,
  status: UserStatus.ACTIVE,
  permissions: { user_id: id, role, ...ROLE_DEFAULT_PERMISSIONS[role] },
});
const ev = (seq: number, status = JobStatus.PROCESSING, type: JobEvent['type'] = 'progress', owner = 'alice'): JobEvent => ({
  job_id: 'j',
  user_id: owner,
  seq,
  type,
  status,
  progress: { percentage: seq, stages_completed: [] },
  at: new Date(0).toISOString(),
});

function collect(u = user('alice')) {
  const sent: number[] = [];
  const s = new JobEventStream(u, (e) => sent.push(e.seq));
  let ended = 0;
  s.onTerminal = () => ended++;
  return { s, sent, ended: () => ended };
}

describe('JobEventStream', () => {
  it('replays stored events, then live ones buffered meanwhile, each once and in order', () => {
    const { s, sent } = collect();
    s.push(ev(5));
    s.push(ev(4));
    s.start([ev(3), ev(4)], ev(4), 2);
    s.push(ev(5));
    s.push(ev(6));
    expect(sent).toEqual([3, 4, 5, 6]);
  });

  it('starts with the current state when not resuming', () => {
    const { s, sent } = collect();
    s.start([], ev(7));
    s.push(ev(7));
    s.push(ev(8));
    expect(sent).toEqual([7, 8]);
  });

  it('ends after the final status, and at once when resuming after it', () => {
    const a = collect();
    a.s.start([], ev(1));
    a.s.push(ev(2, JobStatus.COMPLETED, 'status'));
    a.s.push(ev(3));
    expect([a.sent, a.ended()]).toEqual([[1, 2], 1]);
    const b = collect();
    b.s.start([], ev(9, JobStatus.CANCELLED, 'status'), 9);
    expect([b.sent, b.ended()]).toEqual([[], 1]);
  });

  it('goes on past a final status replayed from before a retry, up to the job\'s latest', () => {
    // Cancelled at 3, retried (4: queued), now processing (5).
    const stored = [ev(2), ev(3, JobStatus.CANCELLED, 'status'), ev(4, JobStatus.QUEUED, 'status'), ev(5)];
    const running = collect();
    running.s.start(stored, ev(5), 1);
    running.s.push(ev(6));
    expect([running.sent, running.ended()]).toEqual([[2, 3, 4, 5, 6], 0]);
    // Completed since (6): the stream ends there, not at the old cancellation.
    const done = collect();
    done.s.start([...stored, ev(6, JobStatus.COMPLETED, 'status')], ev(6, JobStatus.COMPLETED, 'status'), 1);
    expect([done.sent, done.ended()]).toEqual([[2, 3, 4, 5, 6], 1]);
  });

  it('does not end where the client keeps the subscription (WebSocket): a retry\'s events follow', () => {
    const sent: number[] = [];
    const s = new JobEventStream(user('alice'), (e) => sent.push(e.seq), false);
    let ended = 0;
    s.onTerminal = () => ended++;
    s.start([], ev(3, JobStatus.CANCELLED, 'status'));
    s.push(ev(4, JobStatus.QUEUED, 'status'));
    s.push(ev(5, JobStatus.COMPLETED, 'status'));
    s.push(ev(6, JobStatus.QUEUED, 'status'));
    expect([sent, ended, s.finished]).toEqual([[3, 4, 5, 6], 0, false]);
  });

  it('starts from the current state when resumed after an event the job never had', () => {
    // Last-Event-ID 999999999 (or 1e308 over WebSocket, or an id of another job) on a running job.
    const running = collect();
    running.s.push(ev(5));
    running.s.start([], ev(4), 999_999_999);
    running.s.push(ev(6));
    expect([running.sent, running.ended()]).toEqual([[4, 5, 6], 0]);
    // On a finished job: its final state, then the end, not the end alone.
    const finished = collect();
    finished.s.start([], ev(9, JobStatus.COMPLETED, 'status'), 1e308);
    expect([finished.sent, finished.ended()]).toEqual([[9], 1]);
    // Resuming exactly at the last event still sends nothing again.
    const atEnd = collect();
    atEnd.s.start([], ev(9, JobStatus.COMPLETED, 'status'), 9);
    expect([atEnd.sent, atEnd.ended()]).toEqual([[], 1]);
  });

  it('gives another user nothing, an admin everything', () => {
    const stranger = collect(user('mallory'));
    stranger.s.start([], ev(1));
    stranger.s.push(ev(2));
    expect(stranger.sent).toEqual([]);
    const admin = collect(user('root', UserRole.ADMIN));
    admin.s.start([], ev(1));
    expect(admin.sent).toEqual([1]);
  });
});
