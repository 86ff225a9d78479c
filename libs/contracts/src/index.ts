export * from './limits.js';
export * from './health.js';
export * from './e2e.js';
export * from './auth.js';
export * from './rooms.js';
export * from './chat.js';
export * from './membership.js';
export * from './events.js';
