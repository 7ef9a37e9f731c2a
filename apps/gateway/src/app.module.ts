import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { StorageModule } from '@vgp/storage';
import { AuthModule } from './auth/auth.module.js';
import { FilesApiModule } from './files/files-api.module.js';
import { GatewayConfig } from './gateway.config.js';
import { NulInputGuard } from './http/nul-input.js';
import { JobsApiModule } from './jobs/jobs-api.module.js';
import { PublicApiModule } from './public/public-api.module.js';
import { VideosApiModule } from './videos/videos-api.module.js';
import { SystemModule } from './system/system.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { UsersApiModule } from './users/users-api.module.js';

@Module({
  imports: [
    ConfigModule.forRoot(GatewayConfig),
    MessagingModule.forRoot(ServiceName.GATEWAY),
    ObservabilityModule.forRoot(ServiceName.GATEWAY),
    AuthModule,
    JobsApiModule,
    StorageModule.forRoot(),
    VideosApiModule,
    PublicApiModule,
    FilesApiModule,
    SystemModule,
    RateLimitModule,
    UsersApiModule,
  ],
  providers: [NulInputGuard],
})
export class AppModule {}
