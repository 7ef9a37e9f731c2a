import { BaseConfig } from '@vgp/config';

export class VideosConfig extends BaseConfig {
  override HTTP_PORT = 3002;
}
