import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AuthModule } from '../auth/auth.module.js';
import { GatewayConfig } from '../gateway.config.js';
import { AuthController } from './auth.controller.js';
import { CLERK_WEBHOOK_ROUTE, ClerkWebhookController } from './clerk-webhook.controller.js';
import { keepRawBody } from './raw-body.js';
import { UsersController } from './users.controller.js';

/** `/auth/*`, the admin `/users` routes and the Clerk webhook. */
@Module({
  imports: [AuthModule],
  controllers: [AuthController, UsersController, ClerkWebhookController],
})
export class UsersApiModule implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    keepRawBody(this.host.httpAdapter.getInstance<FastifyInstance>(), new Set([CLERK_WEBHOOK_ROUTE]), this.config.BODY_LIMIT_BYTES);
  }
}
