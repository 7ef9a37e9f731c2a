import { Module } from '@nestjs/common';
import { ClerkWebhookService } from './clerk-webhook.service.js';
import { RateLimitStore } from './rate-limit.store.js';
import { UsersHandler } from './users.handler.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [UsersHandler],
  providers: [UsersService, ClerkWebhookService, RateLimitStore],
  exports: [UsersService],
})
export class UsersModule {}
