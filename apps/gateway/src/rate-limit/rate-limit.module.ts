import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RateLimitService } from './rate-limit.service.js';

/** Shared per-caller request limits (see RateLimitService). */
@Module({
  imports: [AuthModule],
  providers: [RateLimitService],
  exports: [RateLimitService],
})
export class RateLimitModule {}
