import { Controller, HttpCode, Logger, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { AppError, type ApplyWebhookReply, ErrorCode, NUL_ESCAPE, UsersSubjects, withoutNul } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { Webhook } from 'svix';
import { Public } from '../auth/auth.decorators.js';
import { GatewayConfig } from '../gateway.config.js';
import { ResponseMessage } from '../http/response-message.decorator.js';
import type { RawBodyRequest } from './raw-body.js';

export const CLERK_WEBHOOK_ROUTE = '/api/v1/webhooks/clerk';

/**
 * Clerk's user events, delivered by Svix: the signature over the exact body bytes is checked with
 * CLERK_WEBHOOK_SECRET (and Svix's timestamp tolerance against replays) before the users service
 * applies the event.
 */
@Controller('webhooks')
export class ClerkWebhookController {
  private readonly logger = new Logger('ClerkWebhook');
  private readonly webhook?: Webhook;

  constructor(
    private readonly nats: NatsClient,
    config: GatewayConfig,
  ) {
    if (config.CLERK_WEBHOOK_SECRET) this.webhook = new Webhook(config.CLERK_WEBHOOK_SECRET);
  }

  @Post('clerk')
  @Public()
  @HttpCode(200)
  @ApiExcludeEndpoint()
  @ResponseMessage('Webhook processed')
  async receive(@Req() req: RawBodyRequest): Promise<ApplyWebhookReply> {
    if (!this.webhook) throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 503, 'Clerk webhooks are not configured (CLERK_WEBHOOK_SECRET)');
    const h = req.headers;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
    const raw = req.rawBody ?? Buffer.alloc(0);
    try {
      this.webhook.verify(raw, {
        'svix-id': one(h['svix-id']),
        'svix-timestamp': one(h['svix-timestamp']),
        'svix-signature': one(h['svix-signature']),
      });
    } catch (err) {
      this.logger.warn(`Refused a Clerk webhook: ${(err as Error).message}`);
      throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The webhook signature is not valid');
    }
    // Signed bytes, and already parsed as JSON by the body parser.
    const event = req.body as { type?: unknown; data?: unknown; timestamp?: unknown } | undefined;
    if (typeof event?.type !== 'string' || typeof event.data !== 'object' || event.data === null) {
      throw AppError.validation([{ field: 'type', code: 'INVALID_VALUE', message: 'A Clerk event has a type and data' }]);
    }
    // Clerk's account is the authority: a NUL character (U+0000), which PostgreSQL cannot store, is
    // dropped from the event's text rather than the event refused (and redelivered forever).
    const data = raw.includes(NUL_ESCAPE) ? withoutNul(event.data) : event.data;
    // The event's own time (milliseconds): a user.deleted carries no updated_at in its data.
    const timestamp = typeof event.timestamp === 'number' && Number.isSafeInteger(event.timestamp) && event.timestamp > 0 ? event.timestamp : undefined;
    return this.nats.request<ApplyWebhookReply>(UsersSubjects.applyWebhook, { svix_id: one(h['svix-id']), type: withoutNul(event.type), data, timestamp }, { requestId: req.id });
  }
}
