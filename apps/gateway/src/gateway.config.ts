import { BaseConfig, ToBoolean, ToInt, ToList } from '@vgp/config';
import { Equals, IsArray, IsBoolean, IsInt, IsString, IsUrl, Matches, Max, Min, MinLength, NotEquals, ValidateIf } from 'class-validator';

/** Development default of FILES_SIGNING_SECRET; refused in production. */
const DEV_FILES_SIGNING_SECRET = 'dev-only-files-signing-secret-change-me';

export class GatewayConfig extends BaseConfig {
  override HTTP_PORT = 3000;

  /** Largest JSON body accepted (uploads are multipart and limited per user instead). */
  @ToInt() @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Absolute base of links the API hands out (download, thumbnail and signed URLs). */
  @IsUrl({ require_tld: false, require_protocol: true })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  /**
   * Which proxies' `X-Forwarded-For` to believe for the client address (per-IP rate limits):
   * `false` (none), a hop count, or addresses/CIDRs (`10.0.0.0/8,127.0.0.1`). `true` would let
   * any client choose its address: refused.
   */
  @Matches(/^(false|\d{1,2}|loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
    message: 'TRUST_PROXY must be false, a hop count, or addresses/CIDRs separated by commas',
  })
  TRUST_PROXY = 'false';

  /** Issuer of the Clerk instance (`iss` of its session tokens), e.g. `https://clerk.example.com`. Required in production. */
  @ValidateIf((c: GatewayConfig) => c.NODE_ENV === 'production' || c.CLERK_ISSUER !== '')
  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'CLERK_ISSUER must be the URL of the Clerk instance (required in production)' })
  CLERK_ISSUER = '';

  /** JWKS of the Clerk instance; default `<CLERK_ISSUER>/.well-known/jwks.json`. */
  @ValidateIf((c: GatewayConfig) => c.CLERK_JWKS_URL !== '')
  @IsUrl({ require_tld: false, require_protocol: true })
  CLERK_JWKS_URL = '';

  /** Accepted `azp` values (frontend origins), comma-separated; empty: not checked. */
  @ToList() @IsArray() @IsString({ each: true })
  CLERK_AUTHORIZED_PARTIES: string[] = [];

  /** Signing secret (`whsec_…`) of the Clerk webhook endpoint; empty: `POST /webhooks/clerk` answers 503. */
  @IsString()
  CLERK_WEBHOOK_SECRET = '';

  /**
   * Origins whose browser frontends may call the API (CORS), comma-separated
   * (`https://app.example.com,http://localhost:5173`); `*`: any origin (the API takes bearer
   * tokens, never cookies, so a browser sends no credential of its own accord); `false`: no CORS
   * headers (a same-origin frontend, or a proxy in front that adds them).
   */
  @ToList() @IsArray()
  @Matches(/^(\*|false|https?:\/\/[^/\s,*]+)$/, { each: true, message: 'CORS_ORIGINS must be *, false, or origins such as https://app.example.com (scheme and host, no path)' })
  CORS_ORIGINS: string[] = ['*'];

  /** Tolerance on `exp`/`nbf`. */
  @ToInt() @IsInt() @Min(0) @Max(300)
  AUTH_CLOCK_SKEW_SECONDS = 5;

  /**
   * Development and tests: verify against this local JWKS file (written by `scripts/mint-token.mjs`)
   * instead of the Clerk instance's. Refused in production.
   */
  @IsString()
  @ValidateIf((c: GatewayConfig) => c.NODE_ENV === 'production')
  @Equals('', { message: 'AUTH_LOCAL_JWKS_PATH must not be set in production' })
  AUTH_LOCAL_JWKS_PATH = '';

  /**
   * Tests that run the gateway without the users service: when it has no responder, the caller is
   * built from the token's role defaults. Refused in production.
   */
  @ToBoolean() @IsBoolean()
  @ValidateIf((c: GatewayConfig) => c.NODE_ENV === 'production')
  @Equals(false, { message: 'AUTH_USERS_OPTIONAL must be false in production' })
  AUTH_USERS_OPTIONAL = false;

  /**
   * How long a resolved caller (profile, role, status, permissions) is reused; `users.v1.user.updated`
   * evicts it at once, and a NATS reconnect (events may have been missed) makes every entry stale.
   */
  @ToInt() @IsInt() @Min(0) @Max(300000)
  AUTH_CONTEXT_CACHE_MS = 30_000;

  /** Per-caller request limits over a fixed window, shared by every gateway replica. */
  @ToBoolean() @IsBoolean()
  RATE_LIMIT_ENABLED = true;

  @ToInt() @IsInt() @Min(1) @Max(86400)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** Requests per window for anonymous callers (per IP). */
  @ToInt() @IsInt() @Min(1) @Max(10_000_000)
  RATE_LIMIT_ANONYMOUS = 60;

  @ToInt() @IsInt() @Min(1) @Max(10_000_000)
  RATE_LIMIT_USER = 300;

  @ToInt() @IsInt() @Min(1) @Max(10_000_000)
  RATE_LIMIT_MODERATOR = 600;

  @ToInt() @IsInt() @Min(1) @Max(10_000_000)
  RATE_LIMIT_ADMIN = 1200;

  /**
   * Requests per window to `POST /api/v1/webhooks/clerk`, per client IP: a budget of its own (Svix
   * delivers from a few addresses, in bursts on bulk changes, and retries what it was refused), so
   * the route is neither unlimited nor competing with the anonymous API limit.
   */
  @ToInt() @IsInt() @Min(1) @Max(10_000_000)
  RATE_LIMIT_WEBHOOK = 1200;

  @ToBoolean() @IsBoolean()
  OPENAPI_ENABLED = true;

  /** HMAC-SHA256 key of signed links (`/files/{id}/secure`, a video's media). Required (32+ characters) in production. */
  @IsString()
  @ValidateIf((c: GatewayConfig) => c.NODE_ENV === 'production')
  @MinLength(32, { message: 'FILES_SIGNING_SECRET must be set (at least 32 characters) in production' })
  @NotEquals(DEV_FILES_SIGNING_SECRET, { message: 'FILES_SIGNING_SECRET must be set in production' })
  FILES_SIGNING_SECRET = DEV_FILES_SIGNING_SECRET;

  /** Lifetime of a signed link (files and video media). */
  @ToInt() @IsInt() @Min(10) @Max(7 * 24 * 3600)
  FILES_LINK_TTL_SECONDS = 3600;

  // System health and metrics (apps/gateway/src/system).
  /** nats-server's monitoring endpoint (e.g. `http://nats:8222`) for connected clients; empty: not read. */
  @ValidateIf((c: GatewayConfig) => c.NATS_MONITOR_URL !== '')
  @IsUrl({ require_tld: false, require_protocol: true })
  NATS_MONITOR_URL = '';

  /** How long `/system/health` gathers the instances' answers to the broadcast ping (less once all known replicas answered). */
  @ToInt() @IsInt() @Min(100) @Max(10000)
  SYSTEM_HEALTH_WINDOW_MS = 1500;

  /** `/system/health` is public: answers are reused this long. */
  @ToInt() @IsInt() @Min(0) @Max(60000)
  SYSTEM_HEALTH_CACHE_MS = 1000;

  /** A component answering slower than this is degraded. */
  @ToInt() @IsInt() @Min(1) @Max(60000)
  SYSTEM_SLOW_RESPONSE_MS = 500;

  /** How long the most replicas seen at once is remembered (fewer answering = degraded). */
  @ToInt() @IsInt() @Min(10) @Max(86400)
  SYSTEM_REPLICA_MEMORY_SECONDS = 300;

  /** Sliding window of the request figures in `/system/metrics`. */
  @ToInt() @IsInt() @Min(10) @Max(86400)
  SYSTEM_METRICS_WINDOW_SECONDS = 300;

  /** Window of the job figures (average processing time, success rate) in `/system/metrics`. */
  @ToInt() @IsInt() @Min(1) @Max(10080)
  SYSTEM_METRICS_JOB_WINDOW_MINUTES = 60;

  /** Queued jobs above which the job queue is degraded. */
  @ToInt() @IsInt() @Min(1) @Max(10_000_000)
  JOB_QUEUE_BACKLOG_THRESHOLD = 100;

  /** Free space of the blob store's file system below which it is degraded. */
  @ToInt() @IsInt() @Min(0) @Max(100)
  STORAGE_MIN_FREE_PERCENT = 5;
}
