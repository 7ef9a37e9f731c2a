import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { HealthPingCollector } from './health-ping.collector.js';
import { SystemHealthService } from './system-health.service.js';
import { SystemMetricsService } from './system-metrics.service.js';
import { SystemController } from './system.controller.js';

/** `/system/health` and `/system/metrics` (the queue status route lives with the job routes). */
@Module({
  imports: [AuthModule],
  controllers: [SystemController],
  providers: [HealthPingCollector, SystemHealthService, SystemMetricsService],
})
export class SystemModule {}
