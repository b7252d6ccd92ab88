export * from './columns.js';
export * from './machines.js';
export * from './members.js';
export * from './relations.js';
export * from './trainers.js';
export * from './training-session-members.js';
export * from './training-sessions.js';
export * from './views.js';
