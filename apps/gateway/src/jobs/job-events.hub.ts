import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { type AuthContext, type JobEvent, JobsEvents, JobStatus, type JobStatusView } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';

interface CacheEntry {
  userId: string;
  seq: number;
  view: JobStatusView;
  expires: number;
  /** The view serialised, once asked for (not for processing jobs: their processing time moves). */
  json?: string;
}

/** A cached status: the view, and its JSON when it does not change with time. */
export interface CachedStatus {
  view: JobStatusView;
  json?: string;
}

/** How long a cached status is trusted without an event: bounds staleness should an event be lost. */
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 50_000;

export type JobEventListener = (ev: JobEvent) => void;

/**
 * One subscription to `jobs.v1.job.updated` per gateway: fans events out to the SSE and WebSocket
 * clients watching a job, and keeps a status cache current so polling a job's status costs no
 * NATS round trip. An entry only moves forward (`seq`), expires after 10 s, and the whole cache is
 * dropped when the NATS connection blips (events may have been missed meanwhile).
 */
@Injectable()
export class JobEventsHub implements OnModuleInit, OnModuleDestroy {
  private readonly listeners = new Map<string, Set<JobEventListener>>();
  private readonly cache = new Map<string, CacheEntry>();
  // Latest seq of jobs not cached, so a reply older than an event already seen is not cached.
  private readonly seen = new Map<string, number>();
  private sub?: Subscription;
  private stopWatching?: () => void;

  constructor(private readonly nats: NatsClient) {}

  onModuleInit(): void {
    this.sub = this.nats.subscribe<JobEvent>(JobsEvents.updated, (ev) => this.onEvent(ev));
    this.stopWatching = this.nats.onConnectionLost(() => {
      this.cache.clear();
      this.seen.clear();
    });
  }

  onModuleDestroy(): void {
    this.stopWatching?.();
    this.sub?.unsubscribe();
  }

  private onEvent(ev: JobEvent): void {
    if (!ev || typeof ev.job_id !== 'string') return;
    const entry = this.cache.get(ev.job_id);
    if (!entry) {
      if (this.seen.size >= CACHE_MAX) this.seen.delete(this.seen.keys().next().value as string);
      this.seen.set(ev.job_id, Math.max(ev.seq, this.seen.get(ev.job_id) ?? 0));
    } else if (ev.seq > entry.seq) {
      if (ev.is_deleted) this.cache.delete(ev.job_id);
      else this.cache.set(ev.job_id, { userId: ev.user_id, seq: ev.seq, view: statusFromEvent(ev), expires: Date.now() + CACHE_TTL_MS });
    }
    const ls = this.listeners.get(ev.job_id);
    if (ls) for (const fn of ls) fn(ev);
  }

  /** Live events of one job until the returned function is called. */
  listen(jobId: string, fn: JobEventListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.listeners.delete(jobId);
    };
  }

  /** The cached status if the caller may see it; undefined means ask the jobs service. */
  cachedStatus(user: AuthContext, jobId: string): CachedStatus | undefined {
    const e = this.cache.get(jobId);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.cache.delete(jobId);
      return undefined;
    }
    if (e.userId !== user.user_id && !user.permissions.can_view_all_jobs) return undefined;
    if (e.view.status === JobStatus.PROCESSING && e.view.started_at) return { view: withLiveTime(e.view) };
    e.json ??= JSON.stringify(e.view);
    return e;
  }

  remember(userId: string, seq: number, view: JobStatusView): void {
    const cur = this.cache.get(view.job_id);
    if ((cur && cur.seq > seq) || (this.seen.get(view.job_id) ?? -1) > seq) return;
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(view.job_id, { userId, seq, view, expires: Date.now() + CACHE_TTL_MS });
  }

  forget(jobId: string): void {
    this.cache.delete(jobId);
  }
}

export function statusFromEvent(ev: JobEvent): JobStatusView {
  const view: JobStatusView = {
    job_id: ev.job_id,
    status: ev.status,
    progress: ev.progress,
    created_at: ev.created_at ?? ev.at,
    updated_at: ev.updated_at ?? ev.at,
  };
  if (ev.error) view.error = ev.error;
  if (ev.started_at) view.started_at = ev.started_at;
  if (ev.completed_at) view.completed_at = ev.completed_at;
  return view;
}

/** A processing job's processing time is measured up to now, not up to its last event. */
function withLiveTime(view: JobStatusView): JobStatusView {
  if (!view.started_at) return view;
  const secs = Math.round((Date.now() - Date.parse(view.started_at)) / 100) / 10;
  return { ...view, progress: { ...view.progress, processing_time_seconds: secs } };
}
