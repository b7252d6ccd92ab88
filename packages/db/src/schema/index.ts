export * from './columns';
export * from './machines';
export * from './members';
export * from './relations';
export * from './trainers';
export * from './training-session-members';
export * from './training-sessions';
export * from './views';
