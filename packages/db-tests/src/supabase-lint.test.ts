import { describe, expect, it } from 'vitest';
import { migrateTo, rollbackTo } from './harness/migrate';
import { allTags } from './harness/release';
import { perTestResources } from './harness/resources';
import { makeSupabaseLike, runSecurityLints, securityLints } from './harness/security-lints';
import { catalogSnapshot } from './harness/snapshot';

// Issue 10: Supabase's database linter as a gate. Its security checks (as catalog queries) find nothing
// after pnpm db:migrate, on a database set up as Supabase sets one up and on plain PostgreSQL alike.
const { database } = perTestResources();
const clean = Object.fromEntries(Object.keys(securityLints).map((lint) => [lint, []]));

describe("Supabase's security lints", () => {
  it('find what they look for on the old schema (each lint catches something real)', async () => {
    const db = await database('empty');
    await makeSupabaseLike(db);
    await migrateTo(db.url, '0004_training_sessions_contract');
    const found = await runSecurityLints(db);
    expect(found.rls_disabled_in_public).toEqual(expect.arrayContaining(['machines', 'training_sessions']));
    expect(found.security_definer_view).toContain('training_sessions_calendar');
    expect(found.function_search_path_mutable).toContain('update_updated_at_column()');
    expect(found.anon_table_privileges).toContain('training_session_members');
  });

  it('report nothing on a Supabase-like database after migrate, and leave its auth schema as it was', async () => {
    const db = await database('empty');
    await makeSupabaseLike(db);
    const auth = async () =>
      (
        await db.query<{ d: string }>(
          `SELECT string_agg(p.oid::regprocedure::text || md5(pg_get_functiondef(p.oid)), ',' ORDER BY 1) AS d
             FROM pg_proc p WHERE p.pronamespace = 'auth'::regnamespace`,
        )
      ).rows[0]!.d;
    const authBefore = await auth();
    await migrateTo(db.url);
    expect(await runSecurityLints(db)).toEqual(clean);
    expect(await auth()).toBe(authBefore);
    // Rolling back 0005 leaves Supabase's auth schema in place.
    await rollbackTo(db.url, '0004_training_sessions_contract');
    expect(await auth()).toBe(authBefore);
  });

  it('report nothing on plain PostgreSQL after migrate', async () => {
    const db = await database('template');
    expect(await runSecurityLints(db)).toEqual(clean);
  });
});

describe('rolling back 0006_row_level_security', () => {
  it('refuses (GYM06) while a member is linked to a sign-in user, and changes nothing; unlinked, it rolls back', async () => {
    const db = await database('template');
    await db.query(
      `INSERT INTO members (first_name, last_name, email, auth_user_id) VALUES ('Li', 'N', 'li@gym.test', gen_random_uuid())`,
    );
    const before = await catalogSnapshot(db);
    await expect(rollbackTo(db.url, '0005_supabase_auth')).rejects.toMatchObject({
      sqlState: 'GYM06',
      message: expect.stringContaining('1 members and trainers are linked to sign-in users'),
    });
    expect(await catalogSnapshot(db)).toEqual(before);
    await db.query('UPDATE members SET auth_user_id = NULL');
    expect((await rollbackTo(db.url, '0005_supabase_auth')).rolledBack).toEqual(
      allTags.slice(allTags.indexOf('0006_row_level_security')).reverse(),
    );
    expect((await runSecurityLints(db)).rls_disabled_in_public).toContain('training_sessions');
  });
});
