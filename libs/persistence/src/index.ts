export * from './data-source.factory.js';
export * from './persistence.module.js';
export * from './snake-naming.strategy.js';
export * from './raw-rows.js';
