import { BaseConfig, ToInt } from '@vgp/config';
import { IsInt, Max, Min } from 'class-validator';

export class RenderWorkerConfig extends BaseConfig {
  override HTTP_PORT = 3005;

  /** Jobs this worker renders at once. */
  @ToInt() @IsInt() @Min(1) @Max(16)
  RENDER_CONCURRENCY = 1;
}
