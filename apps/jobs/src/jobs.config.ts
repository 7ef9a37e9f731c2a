import { BaseConfig, ToInt } from '@vgp/config';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class JobsConfig extends BaseConfig {
  override HTTP_PORT = 3001;

  /** How long a worker's claim holds without renewal before the job is queued again. */
  @ToInt() @IsInt() @Min(2) @Max(600)
  JOB_LEASE_SECONDS = 30;

  @ToInt() @IsInt() @Min(0) @Max(10)
  JOB_MAX_RETRIES = 3;

  /** First retry waits about this long (with jitter), doubling per attempt. */
  @ToInt() @IsInt() @Min(10) @Max(600_000)
  JOB_RETRY_BASE_MS = 2000;

  @ToInt() @IsInt() @Min(100) @Max(3_600_000)
  JOB_RETRY_MAX_MS = 300_000;

  /** How often expired leases are looked for. */
  @ToInt() @IsInt() @Min(100) @Max(60_000)
  JOB_REAPER_INTERVAL_MS = 2000;

  /** Most creates written in one transaction by the create batcher. */
  @ToInt() @IsInt() @Min(1) @Max(1000)
  JOB_CREATE_BATCH_MAX = 200;

  /** Script generators a job may name in `configuration.model`, comma-separated. */
  @IsString() @Matches(/^[A-Za-z0-9._:-]+(,[A-Za-z0-9._:-]+)*$/, { message: 'must be comma-separated model names' })
  SCRIPT_MODELS = 'builtin';
}
