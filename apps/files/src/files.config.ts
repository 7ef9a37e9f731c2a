import { BaseConfig } from '@vgp/config';

export class FilesConfig extends BaseConfig {
  override HTTP_PORT = 3003;
}
