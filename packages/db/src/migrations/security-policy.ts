/**
 * Who may reach what, as the migrator's security check holds the database to it from the migration marked
 * `-- migrator: security-baseline` on: the API (Supabase's PostgREST) serves `public` to the roles `anon`
 * and `authenticated`; the migrations own the functions of `public`, `gym_private` (the policies' helpers
 * and the booking function's privileged half, which the API does not serve) and `gym_migrations`.
 */
export const securityPolicy = {
  exposedSchemas: ['public'],
  ownSchemas: ['public', 'gym_private', 'gym_migrations'],
  anonRole: 'anon',
  authenticatedRole: 'authenticated',
};
