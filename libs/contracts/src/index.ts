export * from './limits.js';
export * from './health.js';
