import { BaseConfig, ToInt } from '@vgp/config';
import { IsInt, Max, Min } from 'class-validator';

export class FilesConfig extends BaseConfig {
  override HTTP_PORT = 3003;

  /** Bound of each metadata or text tool run (ffprobe, pdfinfo, pdftotext). */
  @ToInt() @IsInt() @Min(500) @Max(300_000)
  FILES_TOOL_TIMEOUT_MS = 20_000;

  /** Most characters of text indexed per document. */
  @ToInt() @IsInt() @Min(1000) @Max(50_000_000)
  FILES_TEXT_MAX_CHARS = 2_000_000;

  /** Fallback poll for `file_processing` jobs (claims also follow `jobs.v1.job.queued`). */
  @ToInt() @IsInt() @Min(100) @Max(600_000)
  FILES_JOB_POLL_MS = 5000;

  /** Documents whose text is extracted at once by one instance. */
  @ToInt() @IsInt() @Min(1) @Max(16)
  FILES_TEXT_CONCURRENCY = 2;

  /** Uploaded bytes without a file row are removed once untouched this long (a registration takes under a minute). */
  @ToInt() @IsInt() @Min(60) @Max(365 * 86_400)
  FILES_ORPHAN_MAX_AGE_SECONDS = 86_400;

  /** How often the storage is swept for such bytes; 0 never. */
  @ToInt() @IsInt() @Min(0) @Max(7 * 86_400)
  FILES_ORPHAN_SWEEP_INTERVAL_SECONDS = 3600;
}
