<<<<<<< HEAD

export * from './auth.js';
export * from './columns';
export * from './machines';
export * from './members';
export * from './relations';
export * from './trainers';
export * from './training-session-members';
export * from './training-sessions';
export * from './views';

=======

export * from './columns.js';
export * from './machines.js';
export * from './members.js';
export * from './relations.js';
export * from './trainers.js';
export * from './training-session-members.js';
export * from './training-sessions.js';
export * from './views.js';

>>>>>>> main
