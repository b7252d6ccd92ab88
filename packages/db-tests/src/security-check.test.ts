import { ExitCode, status } from '@gym/migrate';
import { runCli } from '@gym/testing/cli';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { copyMigrations } from '@gym/testing/migrations-copy';
import { eventsOf, expectOneLineError, parseJsonLines } from '@gym/testing/output';
import { perTestResources } from '@gym/testing/resources';
import { makeSupabaseLike } from '@gym/testing/security-lints';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { describe, expect, it } from 'vitest';

// Issue 16, item 2: once the security baseline (0009) is applied, the migrator checks the database after every
// migration and rollback step, and at the end of every run: a step may bring in no finding (a transactional
// one is rolled back), and a run ends with none (exit 7, one line naming the object and the fix); status
// reports what it finds.
const { database, onCleanup } = perTestResources();

function historyWith(migration: { tag: string; sql: string; rollbackSql?: string; noTransaction?: boolean }) {
  const copy = copyMigrations();
  onCleanup(() => copy.remove());
  copy.addMigration({
    tag: migration.tag,
    when: Date.now(),
    sql: `${migration.noTransaction ? '-- migrator: no-transaction\n' : ''}${migration.sql}`,
    rollbackSql: migration.rollbackSql ?? 'SELECT 1;\n',
  });
  return copy;
}

describe('a migration that brings in a finding', () => {
  it('in a transaction: rolled back, exit 7, one line naming the table and the fix, nothing changed', async () => {
    const db = await database('template');
    const copy = historyWith({
      tag: '0099_open_table',
      sql: 'CREATE TABLE open_notes (id integer PRIMARY KEY, body text);\n',
    });
    const [catalog, data] = [await catalogSnapshot(db), await dataSnapshot(db)];
    const r = await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]);
    const line = expectOneLineError(r, ExitCode.securityCheck);
    expect(line).toContain(
      'migration 0099_open_table fails the security check, so it was rolled back and changed nothing',
    );
    expect(line).toContain('rls_disabled_in_public: open_notes; fix: ALTER TABLE open_notes ENABLE ROW LEVEL SECURITY');
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });

  it('on Supabase-like default privileges, a new table with RLS still hands anon its rows: refused, the fix names the REVOKE', async () => {
    const db = await database('empty');
    await makeSupabaseLike(db);
    await migrateTo(db.url);
    const copy = historyWith({
      tag: '0099_notes',
      sql: 'CREATE TABLE notes (id integer PRIMARY KEY);\n--> statement-breakpoint\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n',
    });
    const r = await runCli(['migrate', '--json', '--migrations', copy.dir, '--url', db.url]);
    expect(r.code).toBe(ExitCode.securityCheck);
    const [found] = eventsOf(parseJsonLines(r.stdout), 'security_findings');
    expect(found).toMatchObject({ tag: '0099_notes' });
    expect(found!.findings).toContainEqual({
      check: 'anon_privilege_without_policy',
      object: 'notes (SELECT for anon)',
      fix: 'REVOKE SELECT ON notes FROM anon',
    });
    expect((await db.query(`SELECT to_regclass('notes') AS t`)).rows).toEqual([{ t: null }]);
  });

  it('outside a transaction: it has run, exit 7 says so; status reports the finding; every later run fails until a migration fixes it', async () => {
    const db = await database('template');
    const copy = historyWith({
      tag: '0099_definer',
      noTransaction: true,
      sql: "CREATE FUNCTION public.whoami() RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT current_user';\n",
    });
    const first = expectOneLineError(
      await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]),
      ExitCode.securityCheck,
    );
    expect(first).toContain('migration 0099_definer fails the security check, and it has run');
    expect(first).toContain(
      'anon_security_definer_function_executable: whoami(); fix: REVOKE EXECUTE ON FUNCTION whoami() FROM PUBLIC, anon (and 2 more: authenticated_security_definer_function_executable whoami(), security_definer_search_path_without_pg_temp whoami())',
    );
    const st = await runCli(['status', '--migrations', copy.dir, '--url', db.url]);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/^0099_definer\s+applied/m);
    expect(st.stdout).toContain('security check: 3 finding(s) (migrate will fail until a migration fixes them):');
    expect(st.stdout).toContain(
      '  security_definer_search_path_without_pg_temp: whoami(); fix: ALTER FUNCTION whoami() SET search_path = pg_catalog, public, pg_temp',
    );
    // Nothing pending: the run still checks, and fails.
    const again = expectOneLineError(
      await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]),
      ExitCode.securityCheck,
    );
    expect(again).toContain(
      'the database fails the security check: anon_security_definer_function_executable: whoami()',
    );
    copy.addMigration({
      tag: '0100_fix_definer',
      when: Date.now() + 1,
      sql: 'ALTER FUNCTION public.whoami() SET search_path = pg_catalog, public, pg_temp;\n--> statement-breakpoint\nREVOKE ALL ON FUNCTION public.whoami() FROM PUBLIC, anon, authenticated;\n',
      rollbackSql: 'SELECT 1;\n',
    });
    const fixed = await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]);
    expect({ code: fixed.code, stderr: fixed.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await status({ url: db.url, migrationsFolder: copy.dir })).security).toEqual([]);
  });
});

describe('findings that were there before the run', () => {
  it('do not blame the migration that runs next (it applies), but fail the run at its end; fixed by hand, the next run passes', async () => {
    const db = await database('template');
    await db.query('GRANT SELECT ON members TO anon');
    const copy = historyWith({ tag: '0099_harmless', sql: 'COMMENT ON TABLE machines IS $$The three machines$$;\n' });
    const line = expectOneLineError(
      await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]),
      ExitCode.securityCheck,
    );
    expect(line).toContain(
      'the database fails the security check: anon_privilege_without_policy: members (SELECT for anon)',
    );
    expect(line).toContain('fix: REVOKE SELECT ON members FROM anon');
    expect((await db.query(`SELECT obj_description('machines'::regclass) AS c`)).rows).toEqual([
      { c: 'The three machines' },
    ]);
    await db.query('REVOKE SELECT ON members FROM anon');
    const ok = await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]);
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('rollback', () => {
  it('a rollback step that brings in a finding is refused and changes nothing', async () => {
    const db = await database('template');
    const copy = historyWith({
      tag: '0099_labels',
      sql: 'ALTER TABLE machines ADD COLUMN label text;\n',
      rollbackSql:
        'ALTER TABLE machines DROP COLUMN label;\n--> statement-breakpoint\nGRANT SELECT ON machines TO anon;\n',
    });
    expect((await runCli(['migrate', '--migrations', copy.dir, '--url', db.url])).code).toBe(0);
    const [catalog, data] = [await catalogSnapshot(db), await dataSnapshot(db)];
    const line = expectOneLineError(
      await runCli(['rollback', '--migrations', copy.dir, '--url', db.url]),
      ExitCode.securityCheck,
    );
    expect(line).toContain('rollback 0099_labels fails the security check, so it was rolled back and changed nothing');
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });

  it('below the security baseline nothing is checked: a rollback to 0008 and status there report no check', async () => {
    const db = await database('template');
    await rollbackTo(db.url, '0008_training_sessions_calendar');
    expect((await status({ url: db.url })).security).toBeNull();
    const st = await runCli(['status', '--url', db.url]);
    expect(st.stdout).not.toContain('security check');
    await migrateTo(db.url);
    expect((await status({ url: db.url })).security).toEqual([]);
  });
});
