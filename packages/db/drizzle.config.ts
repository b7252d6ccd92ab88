import { defineConfig } from 'drizzle-kit';

// drizzle-kit migrate runs every pending file in one transaction, which this history cannot be applied in
// (CREATE INDEX CONCURRENTLY, batched archive copies, pre- and post-deploy phases), and on failure it exits 1
// without printing anything. This file is the only code of ours that drizzle-kit runs, so it says so here.
if (process.argv.slice(2).includes('migrate')) {
  process.stderr.write(
    'drizzle-kit migrate cannot apply gym-db migrations (some must run outside a transaction, in pre- and post-deploy steps); run pnpm db:migrate instead\n',
  );
  process.exit(1);
}

// Paths stay relative: drizzle-kit mangles absolute `out` paths (see ../shared/TOOLCHAIN.md).
// Columns are named explicitly in the tables, so no `casing` option is needed here or in the client.
// Only public is the application's: the migrations keep their archives in gym_migrations, and the migrator
// its bookkeeping in drizzle, so drizzle-kit push must neither see nor drop them. Every view in public is
// declared in src/schema/views.ts (`.existing()`).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './migrations',
  // Supabase's roles (anon, authenticated, service_role) exist there and are made by 0005 elsewhere:
  // drizzle-kit must not create or drop them.
  entities: { roles: { provider: 'supabase' } },
  schemaFilter: ['public'],
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : {}),
  strict: true,
  verbose: true,
});
