import { sql } from 'drizzle-orm';
import type { Database, Transaction } from './client.js';

/** The JWT claims of a signed-in user, as Supabase issues them: `sub` is auth.users.id. */
export interface CallerClaims {
  sub: string;
  role?: 'authenticated';
  app_metadata?: { role?: 'admin' } & Record<string, unknown>;
  [claim: string]: unknown;
}

/**
 * Runs `fn` in a transaction as the API would run a request of this user: the JWT claims in
 * request.jwt.claims (what auth.uid() and auth.jwt() read) and SET LOCAL ROLE authenticated, so that
 * every row-level security policy applies. Both end with the transaction, so the pooled connection goes
 * back to the pool as it came. An app that connects with Drizzle directly (as the owner, which bypasses
 * RLS) uses this for every query made on a user's behalf.
 */
export async function asCaller<T>(db: Database, claims: CallerClaims, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`SELECT set_config('request.jwt.claims', ${JSON.stringify({ role: 'authenticated', ...claims })}, true)`,
    );
    await tx.execute(sql`SET LOCAL ROLE authenticated`);
    return fn(tx);
  });
}
