import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { type ServiceHealthReport, SystemSubjects } from '@vgp/contracts';
import { HealthReportService } from './health-report.service.js';

/** Every instance of every service answers the broadcast health ping (no queue group). */
@Controller()
export class HealthPingController {
  constructor(private readonly reports: HealthReportService) {}

  @MessagePattern(SystemSubjects.healthPing)
  ping(): Promise<ServiceHealthReport> {
    return this.reports.report();
  }
}
