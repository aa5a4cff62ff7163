/**
 * @module Atrium wire types: REST bodies, signaling messages and error codes (zod schemas).
 */
export * from './errors.js';
export * from './rooms.js';
export * from './permissions.js';
export * from './access-tokens.js';
export * from './api-keys.js';
export * from './signaling.js';
export * from './room-state.js';
export * from './typed-emitter.js';
export * from './sessions.js';
export * from './webhooks.js';
export * from './layouts/index.js';
export * from './recordings.js';
export * from './live-streams.js';
export * from './playbacks.js';
export * from './compositions.js';
