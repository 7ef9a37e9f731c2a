export * from './blob-storage.js';
export * from './file-sender.js';
export * from './local-fs.storage.js';
export * from './storage.module.js';
