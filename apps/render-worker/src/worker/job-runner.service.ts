import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AppError,
  ErrorCode,
  ExtraErrorCode,
  JobLogLevel,
  PipelineStage,
  type ClaimedJob,
  type LeaseRef,
  type RecordVideoRequest,
} from '@vgp/contracts';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { AbortedError, ProcessError } from '../media/process-runner.js';
import { PipelineError } from '../pipeline/pipeline.errors.js';
import { RenderPipeline, type PipelineResult } from '../pipeline/render-pipeline.js';
import { RenderWorkerConfig } from '../render-worker.config.js';
import { JobsClient, type RecordedVideo } from './jobs.client.js';
import type { AbortReason } from './lease-keeper.js';
import { ProgressReporter } from './progress-reporter.js';
import { makeRenderDir } from './render-dirs.js';
import { RenderMetrics } from './render-metrics.js';

export interface RunningJob {
  job: ClaimedJob;
  controller: AbortController;
  reason?: AbortReason;
  abort(reason: AbortReason): void;
}

/**
 * A readable file name from the title, in its own script (`Ο νόμος του Ωμ` → `ο-νόμος-του-ωμ`,
 * `光合作用` → `光合作用`): letters, marks and digits of any script, NFC, lower case, the rest
 * turned into `-`; accents come off Latin letters (`é` → `e`). Only the download's name: the key
 * in storage stays platform-made (`video.<ext>`), and the gateway sends the name RFC 5987-encoded.
 */
export function fileSlug(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/(\p{Script=Latin})[\u0300-\u036f]+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, '-')
    .replace(/^[-\p{M}]+|-+$/gu, '');
  // At most 60 characters, never half of a surrogate pair.
  return [...slug].slice(0, 60).join('').replace(/-+$/, '') || 'video';
}

/** This attempt's directory: attempt numbers repeat (a job handed back is not counted), so with a random part. */
function attemptDir(job: ClaimedJob): string {
  return `attempt-${Number.isInteger(job.attempt) ? job.attempt : 0}-${randomBytes(6).toString('hex')}`;
}

/** Runs one claimed job: the pipeline in a private temp dir, upload, record, complete or fail. */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('JobRunner');

  constructor(
    private readonly config: RenderWorkerConfig,
    private readonly jobs: JobsClient,
    private readonly pipeline: RenderPipeline,
    private readonly metrics: RenderMetrics,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  async run(r: RunningJob): Promise<void> {
    const { job } = r;
    const ref: LeaseRef = { job_id: job.job_id, lease_token: job.lease_token };
    const signal = r.controller.signal;
    const started = performance.now();
    const dir = await makeRenderDir(this.config.RENDER_TMP_DIR || tmpdir());
    const reporter = new ProgressReporter(this.jobs, ref, this.config.PROGRESS_THROTTLE_MS, (reason) => r.abort(reason));
    let stage: string = PipelineStage.CONTENT_ANALYSIS;
    const uploaded: string[] = [];
    // The uploads are, or may be, the recorded video's bytes: no cleanup may touch them.
    let keep = false;
    try {
      const result = await this.pipeline.run({
        jobId: job.job_id,
        userId: job.user_id,
        configuration: job.configuration,
        dir,
        signal,
        onProgress: (p) => {
          stage = p.stage;
          reporter.report(p);
        },
        onLog: (level, message, details) => this.logger.log(`job ${job.job_id} ${level === 'warning' ? JobLogLevel.WARNING : JobLogLevel.INFO}: ${message}${details ? ` ${JSON.stringify(details)}` : ''}`),
        onStageDone: (s, seconds) => this.metrics.stageDuration.observe({ stage: s }, seconds),
      });
      stage = 'upload';
      // Still within the last stage that ran (a switched-off stage is never named).
      reporter.report({ stage: result.stagesCompleted[result.stagesCompleted.length - 1], percentage: 97, stagesCompleted: result.stagesCompleted, message: 'Uploading the video', details: { notes: result.notes } });
      const request = await this.upload(job, result, uploaded, signal);
      if (signal.aborted) throw new AbortedError(String(signal.reason));
      let video: RecordedVideo;
      try {
        video = await this.jobs.recordVideo(request);
      } catch (err) {
        // Only a refusal (4xx) says for sure that nothing was recorded. With no answer in time the
        // video may be recorded with these bytes: they stay (at worst unreferenced, in the job's
        // directory, which goes with the job's video when it is purged).
        keep = !(err instanceof AppError && err.status >= 400 && err.status < 500);
        throw err;
      }
      const videoId = video.id;
      if (video.file_path === request.file_path) {
        keep = true;
      } else {
        // Another attempt of this job recorded its video first: that one stands, on its own keys;
        // this attempt's uploads go, and the job completes with the recorded video.
        this.logger.log(`job ${job.job_id}: video ${videoId} was recorded by an earlier attempt; this attempt's uploads are removed`);
        await this.deleteUploads(uploaded);
      }
      await reporter.close();
      if (signal.aborted) throw new AbortedError(String(signal.reason));
      await this.jobs.complete({ ...ref, result: { video_id: videoId }, stages_completed: result.stagesCompleted });
      const seconds = (performance.now() - started) / 1000;
      const quality = result.video.quality.resolution;
      this.metrics.duration.observe({ quality: job.configuration.quality }, seconds);
      this.metrics.realtimeFactor.observe({ quality: job.configuration.quality }, result.video.probe.duration / seconds);
      this.logger.log(`job ${job.job_id} completed: video ${videoId}, ${result.video.probe.duration.toFixed(1)} s ${quality} in ${seconds.toFixed(1)} s`);
    } catch (err) {
      const aborted = signal.aborted || err instanceof AbortedError;
      await reporter.close(!aborted);
      if (!keep) await this.deleteUploads(uploaded);
      // Partial files go before the job is handed back or reported.
      await this.removeDir(dir);
      if (aborted) await this.onAborted(r, ref);
      else await this.onFailed(job, ref, stage, err);
    } finally {
      await this.removeDir(dir);
    }
  }

  /** Removes this attempt's uploads (never another attempt's: each attempt has keys of its own). */
  private async deleteUploads(uploaded: string[]): Promise<void> {
    const keys = uploaded.splice(0);
    await Promise.all(keys.map((k) => this.storage.delete(k).catch((e: Error) => this.logger.warn(`could not remove ${k}: ${e.message}`))));
  }

  private async removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch((e: Error) => this.logger.warn(`could not remove ${dir}: ${e.message}`));
  }

  private async onAborted(r: RunningJob, ref: LeaseRef): Promise<void> {
    const reason = r.reason ?? 'cancelled';
    this.logger.log(`job ${r.job.job_id} stopped: ${reason}`);
    // A lost lease belongs to someone else now; a cancelled or interrupted job is handed back.
    if (reason === 'lease_lost') return;
    await this.jobs.release(ref).catch(() => undefined);
  }

  private async onFailed(job: ClaimedJob, ref: LeaseRef, stage: string, err: unknown): Promise<void> {
    let code: string = ExtraErrorCode.RENDER_FAILED;
    let message = 'Rendering failed';
    let details: Record<string, any> = { stage };
    let retryable = true;
    if (err instanceof PipelineError) {
      ({ code, message, retryable } = err);
      details = { ...err.details, stage };
    } else if (err instanceof ProcessError) {
      message = `${err.command.split('/').pop()} failed`;
      details = { stage, exit_code: err.exitCode, output: err.stderr.trim().split('\n').slice(-3).join('\n').slice(0, 500) };
    } else if (err instanceof AppError) {
      // Another service failed (storage, videos): worth another attempt.
      code = err.code === ErrorCode.SERVICE_UNAVAILABLE ? ErrorCode.SERVICE_UNAVAILABLE : ExtraErrorCode.RENDER_FAILED;
      message = err.message;
      details = { stage, cause_code: err.code };
    } else {
      details = { stage, cause: (err as Error)?.message?.slice(0, 300) };
    }
    this.logger.warn(`job ${job.job_id} failed in ${stage}: ${code} ${message}${err instanceof Error && !(err instanceof PipelineError) ? ` (${err.message})` : ''}`);
    await this.jobs.fail({ ...ref, error_code: code, error_message: message, error_details: details, retryable }).catch((e: Error) => this.logger.warn(`fail report for ${job.job_id} lost: ${e.message}`));
  }

  /**
   * Uploads under `videos/{user}/{job}/{attempt}/`, a directory of this attempt's own: another
   * attempt of the job (a retry after a lost completion, a lease lost and taken over) never
   * overwrites or removes the bytes of the recorded video.
   */
  private async upload(job: ClaimedJob, r: PipelineResult, uploaded: string[], signal: AbortSignal): Promise<RecordVideoRequest> {
    const base = `videos/${job.user_id}/${job.job_id}/${attemptDir(job)}`;
    const put = async (key: string, path: string) => {
      if (signal.aborted) throw new AbortedError(String(signal.reason));
      const res = await this.storage.putFile(key, path);
      uploaded.push(key);
      return res;
    };
    const v = r.video;
    const videoKey = `${base}/video.${v.format.extension}`;
    const size = v.probe.size;
    const put0 = await put(videoKey, v.path);
    const thumbnails: RecordVideoRequest['thumbnails'] = [];
    for (const t of r.thumbnails) {
      const key = `${base}/thumbnails/${t.filename}`;
      const res = await put(key, t.path);
      thumbnails.push({ filename: t.filename, file_path: key, file_size: res.size, width: t.width, height: t.height, format: 'jpg', timestamp_seconds: t.timestamp_seconds, size: t.size, index: t.index });
    }
    const subtitle_tracks: RecordVideoRequest['subtitle_tracks'] = [];
    for (const s of r.subtitles) {
      const key = `${base}/subtitles/${s.filename}`;
      const res = await put(key, s.path);
      subtitle_tracks.push({ language: r.language.code, language_name: r.language.name, filename: s.filename, file_path: key, file_size: res.size, format: s.format, is_auto_generated: true });
    }
    return {
      job_id: job.job_id,
      user_id: job.user_id,
      filename: `${fileSlug(r.script.title)}.${v.format.extension}`,
      file_path: videoKey,
      file_size: put0.size || size,
      file_hash: put0.sha256,
      duration_seconds: Math.round(v.probe.duration * 1000) / 1000,
      width: v.probe.video?.width ?? v.quality.width,
      height: v.probe.video?.height ?? v.quality.height,
      resolution: v.quality.resolution,
      format: v.format.extension as RecordVideoRequest['format'],
      title: r.script.title,
      description: r.script.description,
      tags: r.script.tags,
      thumbnails,
      subtitle_tracks,
      custom_metadata: {
        generator: r.script.generator,
        scenes: r.script.scenes.length,
        fps: v.quality.fps,
        video_codec: v.probe.video?.codec_name,
        audio_codec: v.probe.audio?.codec_name,
        container: v.format.muxer,
        passages_used: r.passagesUsed,
        ...(r.analysis.ragNote ? { rag_note: r.analysis.ragNote } : {}),
        ...(r.notes.length ? { notes: r.notes } : {}),
      },
    };
  }
}
