import { sql } from 'drizzle-orm';

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
 */
export const signedIn = sql`(select auth.uid()) is not null`;
export const isAdmin = sql`(select gym_private.is_admin())`;
export const currentMemberId = sql`(select gym_private.current_member_id())`;
export const currentTrainerId = sql`(select gym_private.current_trainer_id())`;

export { anonRole, authenticatedRole, serviceRole } from 'drizzle-orm/supabase';
