export * from './nats-connection.js';
export * from './nats-rpc.server.js';
export * from './nats.client.js';
export * from './messaging.module.js';
export * from './rpc-error.filter.js';
export * from './wire.js';
export * from './user-changes.js';
