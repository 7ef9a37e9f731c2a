export enum JobStatus {
  QUEUED = 'queued',
  PROCESSING = 'processing',
  COMPLETED = 'completed',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}

export enum JobType {
  VIDEO_GENERATION = 'video_generation',
  BATCH_VIDEO_GENERATION = 'batch_video_generation',
  FILE_PROCESSING = 'file_processing',
}

export enum JobPriority {
  LOW = 'low',
  NORMAL = 'normal',
  HIGH = 'high',
  URGENT = 'urgent',
}

export enum VideoQuality {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
  ULTRA = 'ultra',
}

/** The render pipeline's stages, in order, named as in the spec's progress examples. */
export enum PipelineStage {
  CONTENT_ANALYSIS = 'content_analysis',
  SCRIPT_GENERATION = 'script_generation',
  VIDEO_GENERATION = 'video_generation',
  THUMBNAIL_GENERATION = 'thumbnail_generation',
  SUBTITLE_GENERATION = 'subtitle_generation',
}

/** `current_stage` of a finished job. */
export const STAGE_COMPLETED = 'completed';

export const PIPELINE_STAGES: readonly PipelineStage[] = [
  PipelineStage.CONTENT_ANALYSIS,
  PipelineStage.SCRIPT_GENERATION,
  PipelineStage.VIDEO_GENERATION,
  PipelineStage.THUMBNAIL_GENERATION,
  PipelineStage.SUBTITLE_GENERATION,
];

/** Statuses a job can no longer leave on its own. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED];

/** Claim order: higher rank first. */
export const PRIORITY_RANK: Record<JobPriority, number> = {
  [JobPriority.URGENT]: 3,
  [JobPriority.HIGH]: 2,
  [JobPriority.NORMAL]: 1,
  [JobPriority.LOW]: 0,
};

export enum JobLogLevel {
  DEBUG = 'debug',
  INFO = 'info',
  WARNING = 'warning',
  ERROR = 'error',
}
