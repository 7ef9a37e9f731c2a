import { BaseConfig, ToInt } from '@vgp/config';
import { IsInt, Max, Min } from 'class-validator';

export class VideosConfig extends BaseConfig {
  override HTTP_PORT = 3002;

  /** How long a deleted video's bytes are kept (undo window) before the sweeper removes them. */
  @ToInt() @IsInt() @Min(0) @Max(365 * 24 * 3600)
  VIDEO_DELETE_RETENTION_SECONDS = 7 * 24 * 3600;

  /** How often the sweeper looks for deleted videos past their retention. */
  @ToInt() @IsInt() @Min(1) @Max(24 * 3600)
  VIDEO_PURGE_INTERVAL_SECONDS = 300;
}
