import { BaseConfig, ToBoolean, ToInt } from '@vgp/config';
import { IsBoolean, IsInt, IsUrl, Max, Min, ValidateIf, Equals } from 'class-validator';

export class GatewayConfig extends BaseConfig {
  override HTTP_PORT = 3000;

  /** Largest JSON body accepted (uploads are multipart and limited per user instead). */
  @ToInt() @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Absolute base of links the API hands out (download, thumbnail and signed URLs). */
  @IsUrl({ require_tld: false, require_protocol: true })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  /**
   * Development stand-in for token verification: `Bearer dev:<user_id>[:<role>]`.
   * Refused in production.
   */
  @ToBoolean() @IsBoolean()
  @ValidateIf((c: GatewayConfig) => c.NODE_ENV === 'production')
  @Equals(false, { message: 'AUTH_DEV_TOKENS must be false in production' })
  AUTH_DEV_TOKENS = false;

  @ToBoolean() @IsBoolean()
  OPENAPI_ENABLED = true;
}
