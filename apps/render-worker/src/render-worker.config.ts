import { BaseConfig, ToInt, ToList } from '@vgp/config';
import { IsArray, IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class RenderWorkerConfig extends BaseConfig {
  override HTTP_PORT = 3005;

  /** Jobs this worker renders at once. */
  @ToInt() @IsInt() @Min(1) @Max(16)
  RENDER_CONCURRENCY = 1;

  /** Where per-job working directories are made (removed after each job). Empty: the OS temp dir. */
  @IsString()
  RENDER_TMP_DIR = '';

  @IsString()
  FFMPEG_PATH = 'ffmpeg';

  /**
   * Threads of the video encode. 0: the container's CPU limit (its cgroup quota) when it has one,
   * else ffmpeg's own choice: x264 sizes its threads from the node's cores, not the pod's limit,
   * and a 2-CPU pod on a 32-core node ran 48 encoder threads (throttled, and their buffers count
   * against the memory limit).
   */
  @ToInt() @IsInt() @Min(0) @Max(64)
  RENDER_FFMPEG_THREADS = 0;

  @IsString()
  FFPROBE_PATH = 'ffprobe';

  @IsString()
  ESPEAK_PATH = 'espeak-ng';

  /** espeak-ng voice of the narration. */
  @IsString() @Matches(/^[a-z]{2,3}(-[a-z0-9]{2,8})*(\+[a-z0-9]+)?$/i, { message: 'must be an espeak-ng voice name, e.g. en-us' })
  TTS_VOICE = 'en-us';

  /** Speaking rate in words per minute. */
  @ToInt() @IsInt() @Min(80) @Max(450)
  TTS_WORDS_PER_MINUTE = 165;

  /** Fallback poll for queued work when no `jobs.v1.job.queued` event arrived. */
  @ToInt() @IsInt() @Min(100) @Max(60_000)
  CLAIM_POLL_INTERVAL_MS = 2000;

  /** How often a running job's lease is renewed (the lease lasts 30 s). */
  @ToInt() @IsInt() @Min(100) @Max(20_000)
  LEASE_RENEW_INTERVAL_MS = 5000;

  /** Least time between two progress reports of one job. */
  @ToInt() @IsInt() @Min(0) @Max(60_000)
  PROGRESS_THROTTLE_MS = 500;

  /** Script generators this worker serves besides `builtin` (must match the jobs service's SCRIPT_MODELS). */
  @ToList() @IsArray() @IsString({ each: true })
  SCRIPT_PROVIDER_MODELS: string[] = [];

  /** OpenAI-compatible chat-completions endpoint base, e.g. `http://127.0.0.1:8080/v1`. */
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'must be empty or an http(s) URL' })
  SCRIPT_PROVIDER_BASE_URL = '';

  @IsString()
  SCRIPT_PROVIDER_API_KEY = '';

  @ToInt() @IsInt() @Min(100) @Max(600_000)
  SCRIPT_PROVIDER_TIMEOUT_MS = 60_000;

  /** Passages asked from the files service when `use_rag` is on. */
  @ToInt() @IsInt() @Min(1) @Max(20)
  RAG_PASSAGE_LIMIT = 5;
}
