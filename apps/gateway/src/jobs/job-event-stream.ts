import { type AuthContext, type JobEvent, TERMINAL_JOB_STATUSES } from '@vgp/contracts';

/**
 * The largest resume point passed on to the jobs service (SSE's Last-Event-ID, a WebSocket's
 * last_event_id): any bigger one is beyond every job's events just the same.
 */
export const MAX_RESUME = Number.MAX_SAFE_INTEGER;

/**
 * Orders one client's view of a job's events: stored events first, then live ones buffered
 * meanwhile, each once, in `seq` order; only the owner (or an admin who may view all jobs) gets
 * them. Knows when the job reached a final status, so the stream can end (SSE); a stream that
 * does not end there (a WebSocket subscription) goes on with the events of a retry.
 */
export class JobEventStream {
  private lastSeq = -1;
  /** The job's latest event when the stream started: a final status stored before it was followed by a retry. */
  private currentSeq = -1;
  private live = false;
  private readonly buffer: JobEvent[] = [];
  finished = false;
  onTerminal?: () => void;

  constructor(
    private readonly user: AuthContext,
    private readonly send: (ev: JobEvent) => void,
    private readonly endsAtFinalStatus = true,
  ) {}

  push(ev: JobEvent): void {
    if (!this.live) this.buffer.push(ev);
    else this.emit(ev);
  }

  /**
   * Replays `stored`, then what arrived live meanwhile; `current` is the job as it is now. A resume
   * point beyond `current` (a made-up number, one of another job) names no event this job has
   * had: the stream starts from the current state instead of waiting, silent, for an event that
   * big (which would have kept back every event, the final one included).
   */
  start(stored: JobEvent[], current: JobEvent, after?: number): void {
    if (after !== undefined && after <= current.seq) this.lastSeq = after;
    this.currentSeq = current.seq;
    for (const ev of stored) this.emit(ev);
    // Stored events stop at the page limit; the current state covers anything left out.
    if (current.seq > this.lastSeq && !this.buffer.some((b) => b.seq === current.seq)) this.emit(current);
    this.live = true;
    for (const ev of this.buffer.sort((a, b) => a.seq - b.seq)) this.emit(ev);
    this.buffer.length = 0;
    // Resumed after the final event: nothing more will come.
    if (this.endsAtFinalStatus && !this.finished && TERMINAL_JOB_STATUSES.includes(current.status) && this.lastSeq >= current.seq) {
      this.finished = true;
      this.onTerminal?.();
    }
  }

  private emit(ev: JobEvent): void {
    if (this.finished || ev.seq <= this.lastSeq) return;
    if (ev.user_id !== this.user.user_id && !this.user.permissions.can_view_all_jobs) return;
    this.lastSeq = ev.seq;
    this.send(ev);
    // Only the job's latest final status ends it: one replayed from before a retry does not.
    if (this.endsAtFinalStatus && TERMINAL_JOB_STATUSES.includes(ev.status) && ev.type !== 'progress' && ev.seq >= this.currentSeq) {
      this.finished = true;
      this.onTerminal?.();
    }
  }
}
