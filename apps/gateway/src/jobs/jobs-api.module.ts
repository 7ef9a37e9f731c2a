import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { HotJobRoutes } from './hot-job-routes.js';
import { JobEventsHub } from './job-events.hub.js';
import { JobsWebSocketServer } from './jobs-websocket.server.js';
import { JobsController } from './jobs.controller.js';
import { QueueStatusController, QuotaController } from './quota.controller.js';
import { VideoJobsController } from './video-jobs.controller.js';

/** Job routes of the API: creation, status, lists, cancellation, quotas, live events (SSE and WebSocket). */
@Module({
  imports: [AuthModule, RateLimitModule],
  controllers: [VideoJobsController, JobsController, QuotaController, QueueStatusController],
  providers: [JobEventsHub, JobsWebSocketServer, HotJobRoutes],
})
export class JobsApiModule {}
