export * from './http-client.js';
export * from './nats-server.js';
export * from './start-service.js';
export * from './test-infra.js';
export * from './platform-process.js';
export * from './auth-tokens.js';
export * from './documents.js';
