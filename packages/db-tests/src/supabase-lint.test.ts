import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { cleanLints, makeSupabaseLike, runSecurityLints } from '@gym/testing/security-lints';
import { catalogSnapshot } from '@gym/testing/snapshot';
import { describe, expect, it } from 'vitest';

// Issue 10, issue 16: Supabase's database linter as a gate. Its security checks (the migrator's own, which it
// runs after every migration) and its performance lints find nothing after pnpm db:migrate, on a database set
// up as Supabase sets one up and on plain PostgreSQL alike. Each is first shown to find what it looks for.
const { database } = perTestResources();

describe("Supabase's lints", () => {
  it('each finds what it looks for: a scratch object of each kind on a migrated database', async () => {
    const db = await database('template');
    expect(await runSecurityLints(db)).toEqual(cleanLints());
    await db.query(`
      CREATE TABLE scratch_no_rls (id integer);
      CREATE VIEW scratch_owner_view AS SELECT 1 AS x;
      GRANT SELECT ON machines TO anon;
      GRANT TRUNCATE ON members TO authenticated;
      CREATE POLICY scratch_always_true ON machines FOR UPDATE TO authenticated USING (true);
      CREATE FUNCTION scratch_mutable() RETURNS integer LANGUAGE sql AS 'SELECT 1';
      REVOKE ALL ON FUNCTION scratch_mutable() FROM PUBLIC;
      CREATE FUNCTION gym_private.scratch_no_pg_temp() RETURNS integer LANGUAGE sql SECURITY DEFINER
        SET search_path = pg_catalog, public AS 'SELECT 1';
      REVOKE ALL ON FUNCTION gym_private.scratch_no_pg_temp() FROM PUBLIC;
      CREATE FUNCTION scratch_anon_rpc() RETURNS integer LANGUAGE sql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
      REVOKE ALL ON FUNCTION scratch_anon_rpc() FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION scratch_anon_rpc() TO anon;
      CREATE FUNCTION scratch_signed_in_rpc() RETURNS integer LANGUAGE sql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
      REVOKE ALL ON FUNCTION scratch_signed_in_rpc() FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION scratch_signed_in_rpc() TO authenticated;
      CREATE FUNCTION scratch_public_fn() RETURNS integer LANGUAGE sql SET search_path = pg_catalog AS 'SELECT 1';
      GRANT CREATE ON SCHEMA public TO authenticated;
      CREATE TABLE gym_private.scratch_fk (id integer PRIMARY KEY, machine_id uuid REFERENCES machines (id));`);
    // PostgreSQL 17's MAINTAIN includes LOCK TABLE: no API role may hold it either.
    const maintain = Number((await db.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v) >= 170000;
    if (maintain) await db.query('GRANT MAINTAIN ON trainers TO authenticated');
    expect(await runSecurityLints(db)).toEqual({
      ...cleanLints(),
      rls_disabled_in_public: ['scratch_no_rls'],
      security_definer_view: ['scratch_owner_view'],
      anon_privilege_without_policy: ['machines (SELECT for anon)'],
      api_role_privilege_bypassing_rls: [
        'members (TRUNCATE for authenticated)',
        ...(maintain ? ['trainers (MAINTAIN for authenticated)'] : []),
      ],
      rls_policy_always_true: ['policy scratch_always_true on machines'],
      function_search_path_mutable: ['scratch_mutable()'],
      security_definer_search_path_without_pg_temp: ['gym_private.scratch_no_pg_temp()'],
      anon_security_definer_function_executable: ['scratch_anon_rpc()'],
      authenticated_security_definer_function_executable: ['scratch_signed_in_rpc()'],
      anon_function_executable: ['scratch_public_fn()'],
      api_role_can_create: ['schema public (CREATE for authenticated)'],
      multiple_permissive_policies: ['machines authenticated UPDATE'],
      unindexed_foreign_keys: ['gym_private.scratch_fk scratch_fk_machine_id_fkey'],
    });
  });

  it('report nothing on a Supabase-like database after migrate, and leave its auth schema as it was', async () => {
    const db = await database('empty');
    await makeSupabaseLike(db);
    const auth = async () =>
      (
        await db.query<{ d: string }>(
          `SELECT string_agg(p.oid::regprocedure::text || md5(pg_get_functiondef(p.oid)), ',' ORDER BY p.oid::regprocedure::text) AS d
             FROM pg_proc p WHERE p.pronamespace = 'auth'::regnamespace`,
        )
      ).rows[0]!.d;
    const authBefore = await auth();
    await migrateTo(db.url);
    expect(await runSecurityLints(db)).toEqual(cleanLints());
    expect(await auth()).toBe(authBefore);
    // Rolling back 0005 leaves Supabase's auth schema in place.
    await rollbackTo(db.url, '0004_training_sessions_contract');
    expect(await auth()).toBe(authBefore);
  });

  it('report nothing on plain PostgreSQL after migrate', async () => {
    const db = await database('template');
    expect(await runSecurityLints(db)).toEqual(cleanLints());
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
