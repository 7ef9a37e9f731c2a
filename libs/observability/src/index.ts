export * from './health-checks.registry.js';
export * from './metric-names.js';
export * from './metrics.service.js';
export * from './observability.module.js';
export * from './request-id.js';
export * from './service-bootstrap.js';
export * from './public.decorator.js';
