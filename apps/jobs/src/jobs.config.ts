import { BaseConfig, ToInt } from '@vgp/config';
import { IsInt, Max, Min } from 'class-validator';

export class JobsConfig extends BaseConfig {
  override HTTP_PORT = 3001;

  /** How long a worker's claim holds without renewal before the job is queued again. */
  @ToInt() @IsInt() @Min(2) @Max(600)
  JOB_LEASE_SECONDS = 30;

  @ToInt() @IsInt() @Min(0) @Max(10)
  JOB_MAX_RETRIES = 3;
}
