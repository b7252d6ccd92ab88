export * from './machines';
export * from './trainers';
export * from './members';
export * from './training-sessions';
export * from './training-session-members';
export * from './relations';
export * from './views';
export * from './columns';
