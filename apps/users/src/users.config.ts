import { BaseConfig } from '@vgp/config';

export class UsersConfig extends BaseConfig {
  override HTTP_PORT = 3004;
}
