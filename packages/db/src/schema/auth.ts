import { sql } from 'drizzle-orm';
import { pgPolicy } from 'drizzle-orm/pg-core';
import { authenticatedRole } from 'drizzle-orm/supabase';

/**
 * Who signs in, and how the policies know them (issue 10). The model is kept small:
 * - a member or a trainer is the row whose auth_user_id is the signed-in user's id (auth.uid(), the JWT's
 *   `sub`: auth.users on Supabase);
 * - an admin is a user whose JWT carries app_metadata.role = 'admin'. On Supabase only the service role can
 *   write app_metadata, so a user cannot make themselves one; there is no admin table to keep in sync.
 * The helpers live in the gym_private schema (0005_supabase_auth), which the API does not expose. They are
 * SECURITY DEFINER so that a policy on one table can look at another without that table's policies
 * applying again (which would recurse), and wrapped in a sub-select so that PostgreSQL evaluates them once
 * per statement, not once per row.
 * A JWT alone makes nobody a studio user: Supabase signs one for any self-registered or anonymous sign-in,
 * so the studio's data is read by members, trainers and admins (isStudioUser), never by "signed in".
 * Each table has one permissive policy per action for `authenticated` (Supabase's linter: several would
 * each be evaluated for every row).
 */
export const isAdmin = sql`(select gym_private.is_admin())`;
export const isStudioUser = sql`(select gym_private.is_studio_user())`;
export const currentMemberId = sql`(select gym_private.current_member_id())`;
export const currentTrainerId = sql`(select gym_private.current_trainer_id())`;

export { anonRole, authenticatedRole, serviceRole } from 'drizzle-orm/supabase';

/** Admins insert, update and delete the table's rows: one policy per action. */
export function adminWritePolicies(table: string) {
  return [
    pgPolicy(`${table}_admin_insert`, { for: 'insert', to: authenticatedRole, withCheck: isAdmin }),
    pgPolicy(`${table}_admin_update`, { for: 'update', to: authenticatedRole, using: isAdmin, withCheck: isAdmin }),
    pgPolicy(`${table}_admin_delete`, { for: 'delete', to: authenticatedRole, using: isAdmin }),
  ];
}
