import { Injectable } from '@nestjs/common';
import {
  FilesSubjects,
  JobsSubjects,
  JobType,
  VideosSubjects,
  type ClaimedJob,
  type ClaimResponse,
  type CompleteRequest,
  type FailRequest,
  type FailResponse,
  type LeaseRef,
  type LeaseState,
  type ProgressReport,
  type RecordVideoRequest,
  type RetrievedPassage,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';

/** The job's video as recorded: its id and where its bytes are. */
export interface RecordedVideo {
  id: string;
  file_path: string;
}

/** The worker's side of the jobs, videos and files protocols (subjects and payloads from contracts). */
@Injectable()
export class JobsClient {
  constructor(private readonly nats: NatsClient) {}

  async claim(workerId: string): Promise<ClaimedJob | null> {
    const r = await this.nats.request<ClaimResponse>(JobsSubjects.claim, { worker_id: workerId, job_types: [JobType.VIDEO_GENERATION] });
    return r?.job ?? null;
  }

  renew(ref: LeaseRef): Promise<LeaseState> {
    return this.nats.request<LeaseState>(JobsSubjects.renew, ref);
  }

  async release(ref: LeaseRef): Promise<void> {
    await this.nats.request(JobsSubjects.release, ref);
  }

  /** The answer says whether the job was cancelled meanwhile. */
  progress(report: ProgressReport): Promise<LeaseState | null> {
    return this.nats.request<LeaseState | null>(JobsSubjects.progress, report);
  }

  async complete(req: CompleteRequest): Promise<void> {
    await this.nats.request(JobsSubjects.complete, req);
  }

  fail(req: FailRequest): Promise<FailResponse> {
    return this.nats.request<FailResponse>(JobsSubjects.fail, req);
  }

  /**
   * Idempotent by job id: the answer is the job's recorded video, this attempt's or, when another
   * attempt recorded first, that one (its `file_path` is not the one asked for).
   */
  async recordVideo(req: RecordVideoRequest): Promise<RecordedVideo> {
    const r = await this.nats.request<{ id?: string; video_id?: string; file_path?: string }>(VideosSubjects.record, req, { timeoutMs: 15_000 });
    const id = r?.video_id ?? r?.id;
    if (!id) throw new Error('videos.v1.video.record answered without a video id');
    return { id, file_path: r.file_path ?? req.file_path };
  }

  searchPassages(userId: string, query: string, limit: number): Promise<RetrievedPassage[]> {
    return this.nats.request<RetrievedPassage[]>(FilesSubjects.searchPassages, { user_id: userId, query, limit });
  }
}
