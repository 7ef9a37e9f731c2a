import 'reflect-metadata';
import { ServiceName } from '@vgp/contracts';
import { bootstrapService } from '@vgp/observability';
import { AppModule } from './app.module.js';
import { UsersConfig } from './users.config.js';

await bootstrapService({ module: AppModule, config: UsersConfig, service: ServiceName.USERS });
