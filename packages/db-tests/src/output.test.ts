import { runCli } from '@gym/testing/cli';
import { migrateTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { eventsOf, parseJsonLines } from '@gym/testing/output';
import { US002_TAGS, us002History } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { afterAll, describe, expect, it } from 'vitest';

// Issue 3, "Output": one line per migration with its duration, progress during the backfill, --json for
// log pipelines, and a status table; shown on the US-002 release's history, whose every line they list.
const TAGS = US002_TAGS;
const history = us002History();
afterAll(() => history.remove());
const SESSIONS = 3000;
const { database } = perTestResources();

async function oldSchemaDatabase() {
  const db = await database('empty');
  await migrateTo(db.url, '0001_machines');
  await insertOldSchemaData(db, { trainers: 5, members: 100, sessions: realisticOldSessions(SESSIONS) });
  return db;
}

const duration = String.raw`\((\d+ ms|\d+\.\d\d s)\)`;

describe('human output', () => {
  it('one line per applied migration with its duration, and nothing on stderr', async () => {
    const db = await database('empty');
    const r = await runCli(['migrate', '--migrations', history.dir, '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    for (const tag of TAGS) {
      const lines = r.stdout.split('\n').filter((l) => l.includes(tag) && /^applied/.test(l));
      expect(lines, r.stdout).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^applied\\s+${tag} ${duration}$`));
    }
    const version = (await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
    expect(r.stdout).toContain(`/${db.name} (PostgreSQL ${version})`);
    expect(r.stdout).toMatch(/^connected to 127\.0\.0\.1:\d+\/gym_t_\w+ \(PostgreSQL \d+\.\d+/m);
    expect(r.stdout).toContain(`apply: ${TAGS.slice(0, -1).join(', ')}, 0004_training_sessions_contract (post-deploy)`);

    const rollback = await runCli(['rollback', '--migrations', history.dir, '--url', db.url]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(new RegExp(`^rolled back 0004_training_sessions_contract ${duration}$`, 'm'));
  });

  it('progress lines (rows done and rate) while 0004 archives old sessions', async () => {
    const db = await oldSchemaDatabase();
    const r = await runCli(['migrate', '--migrations', history.dir, '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stdout.split('\n').filter((l) => l.startsWith('  0004_training_sessions_contract: archive '));
    expect(progress.length, r.stdout).toBeGreaterThanOrEqual(1);
    for (const l of progress)
      expect(l).toMatch(/^ {2}0004_training_sessions_contract: archive [\d,]+ rows( \([\d,]+ rows\/s\))?$/);
    expect(
      progress.some((l) => / rows \([\d,]+ rows\/s\)$/.test(l)),
      r.stdout,
    ).toBe(true);
    expect(progress.at(-1)).toMatch(new RegExp(`: archive ${SESSIONS.toLocaleString('en-US')} rows`));
    expect(r.stdout).toMatch(new RegExp(`^applied\\s+0004_training_sessions_contract ${duration}$`, 'm'));
  });
});

describe('--json', () => {
  it('prints only JSON objects, one per line: migration_done with durationMs, progress for 0004, done last', async () => {
    const db = await oldSchemaDatabase();
    const r = await runCli(['migrate', '--json', '--migrations', history.dir, '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const events = parseJsonLines(r.stdout);
    for (const e of events) expect(Number.isNaN(Date.parse(e.ts as string)), JSON.stringify(e)).toBe(false);

    const done = eventsOf(events, 'migration_done');
    expect(done.map((e) => e.tag)).toEqual(TAGS.slice(2));
    for (const e of done) {
      expect(e).toMatchObject({ direction: 'up' });
      expect(typeof e.durationMs).toBe('number');
      expect(e.durationMs as number).toBeGreaterThanOrEqual(0);
    }
    const progress = eventsOf(events, 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const p of progress) expect(p).toMatchObject({ tag: '0004_training_sessions_contract', step: 'archive' });
    expect(progress.some((p) => typeof p.rate === 'number' && (p.rows as number) > 0)).toBe(true);
    expect(progress.at(-1)!.rows).toBe(SESSIONS);
    expect(events.at(-1)).toMatchObject({ event: 'done', command: 'migrate', applied: TAGS.slice(2) });
  });

  it('keeps stdout JSON-only when a migration fails: an error event, nothing on stderr', async () => {
    const db = await oldSchemaDatabase();
    await db.query('DELETE FROM machines WHERE machine_number = 1');
    const r = await runCli(['migrate', '--json', '--migrations', history.dir, '--url', db.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const events = parseJsonLines(r.stdout);
    expect(events.at(-1)).toMatchObject({ event: 'error', kind: 'migration_failed', exitCode: 1 });
    expect(typeof events.at(-1)!.hint).toBe('string');
  });
});

describe('status', () => {
  it('prints a table with every tag, its state and its phase', async () => {
    const db = await oldSchemaDatabase();
    const r = await runCli(['status', '--migrations', history.dir, '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const header = lines.findIndex((l) => /^migration\s+state\s+applied at\s+phase$/.test(l));
    expect(header, r.stdout).toBeGreaterThanOrEqual(0);
    const rows = lines.slice(header + 1, header + 1 + TAGS.length);
    expect(rows.map((l) => [...l.split(/\s+/).slice(0, 2), l.split(/\s+/)[3]])).toEqual([
      ['0000_baseline', 'applied', 'pre-deploy'],
      ['0001_machines', 'applied', 'pre-deploy'],
      ['0002_training_sessions_machines', 'pending', 'pre-deploy'],
      ['0003_session_functions', 'pending', 'pre-deploy'],
      ['0004_training_sessions_contract', 'pending', 'post-deploy'],
    ]);
    for (const l of rows.slice(0, 2)) expect(Number.isNaN(Date.parse(l.split(/\s+/)[2]!))).toBe(false);
    for (const l of rows.slice(2)) expect(l.split(/\s+/)[2]).toBe('-');
    expect(lines.at(-1)).toBe('2 applied, 3 pending (1 post-deploy)');

    const json = await runCli(['status', '--json', '--migrations', history.dir, '--url', db.url]);
    expect(eventsOf(parseJsonLines(json.stdout), 'status').map((e) => [e.tag, e.state, e.phase])).toEqual([
      ['0000_baseline', 'applied', 'pre-deploy'],
      ['0001_machines', 'applied', 'pre-deploy'],
      ['0002_training_sessions_machines', 'pending', 'pre-deploy'],
      ['0003_session_functions', 'pending', 'pre-deploy'],
      ['0004_training_sessions_contract', 'pending', 'post-deploy'],
    ]);
  });
});
