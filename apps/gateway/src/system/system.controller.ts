import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError, type AuthContext, type SystemHealth, UserStatus } from '@vgp/contracts';
import { CurrentUser, Public } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';
import { SystemHealthService } from './system-health.service.js';
import { SystemMetricsService } from './system-metrics.service.js';

@ApiTags('system')
@Controller('system')
export class SystemController {
  constructor(
    private readonly health: SystemHealthService,
    private readonly metrics: SystemMetricsService,
  ) {}

  @Get('health')
  @Public()
  @ResponseMessage('System health check completed')
  @ApiOperation({ summary: 'Health of every service and dependency (public; addresses, versions and instance ids for can_access_system_metrics)' })
  systemHealth(@CurrentUser() user: AuthContext | undefined): Promise<SystemHealth> {
    // A public route: the guard resolves a token when one is sent, and lets an anonymous caller through.
    const full = user?.permissions?.can_access_system_metrics === true && user.status === UserStatus.ACTIVE;
    return this.health.health(full);
  }

  @Get('metrics')
  @ApiBearerAuth()
  @ResponseMessage('System metrics retrieved')
  @ApiOperation({ summary: 'Host, message bus, database, job and request figures (can_access_system_metrics)' })
  systemMetrics(@CurrentUser() user: AuthContext): Promise<Record<string, unknown>> {
    if (user?.permissions?.can_access_system_metrics !== true) throw AppError.forbidden('You do not have permission to access system metrics');
    return this.metrics.collect();
  }
}
