import { GatewayConfig } from '../gateway.config.js';
import { API_PREFIX } from '../gateway.setup.js';

/** Absolute base of the API for links handed out (`PUBLIC_BASE_URL` + `/api/v1`). */
export function apiBaseUrl(config: GatewayConfig): string {
  return `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/${API_PREFIX}`;
}
