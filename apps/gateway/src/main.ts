import 'reflect-metadata';
import { bootstrapService } from '@vgp/observability';
import { AppModule } from './app.module.js';
import { GATEWAY_APP } from './gateway.setup.js';

await bootstrapService({ module: AppModule, ...GATEWAY_APP });
