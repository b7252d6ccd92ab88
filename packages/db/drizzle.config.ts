import { defineConfig } from 'drizzle-kit';

// Paths stay relative: drizzle-kit mangles absolute `out` paths (see ../shared/TOOLCHAIN.md).
// Columns are named explicitly in the tables, so no `casing` option is needed here or in the client.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './migrations',
  // Supabase's roles (anon, authenticated, service_role) exist there and are made by 0004 elsewhere:
  // drizzle-kit must not create or drop them.
  entities: { roles: { provider: 'supabase' } },
  strict: true,
  verbose: true,
});
