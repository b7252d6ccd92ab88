import { beforeAll, describe, expect, it } from 'vitest';
import { type RuleContext, rewrite } from '../src/rules.js';
import type { Snapshot, SnapshotTable } from '../src/snapshot.js';
import { isNonVolatile, loadParser, parseExpression } from '../src/sql.js';
import { archiveName, notNullCheckName } from '../src/templates.js';

beforeAll(async () => {
  await loadParser();
});

function table(columns: Record<string, { type: string; notNull?: boolean; primaryKey?: boolean }>): SnapshotTable {
  return {
    name: 't',
    schema: 'public',
    columns: Object.fromEntries(
      Object.entries(columns).map(([name, c]) => [
        name,
        { name, type: c.type, notNull: !!c.notNull, primaryKey: !!c.primaryKey },
      ]),
    ),
    indexes: {},
    foreignKeys: {},
    compositePrimaryKeys: {},
    uniqueConstraints: {},
    policies: {},
    checkConstraints: {},
    isRLSEnabled: true,
  };
}

function snapshot(tables: Record<string, SnapshotTable>): Snapshot {
  return {
    id: 'x',
    prevId: 'y',
    version: '7',
    dialect: 'postgresql',
    tables,
    enums: {},
    schemas: {},
    views: {},
    sequences: {},
    roles: {},
    policies: {},
    _meta: { columns: {}, schemas: {}, tables: {} },
  };
}

const t = table({ id: { type: 'uuid', primaryKey: true, notNull: true }, name: { type: 'varchar(50)' } });

function ctx(over: Partial<RuleContext> = {}): RuleContext {
  return {
    tag: '0009_x',
    phase: 'pre-deploy',
    from: snapshot({ 'public.t': t }),
    to: snapshot({ 'public.t': t }),
    newTables: new Set(),
    newEnums: new Set(),
    deferredNotNull: new Map(),
    backfill: new Map(),
    settings: {},
    supabase: true,
    ...over,
  };
}

function sqlOf(statement: string, c = ctx()): string {
  const r = rewrite(statement, c);
  if (!('steps' in r)) throw new Error(`refused: ${r.refusal.why}`);
  return r.steps.flatMap((s) => s.actions.map((a) => a.sql)).join('\n');
}

describe('forward rules', () => {
  it('builds an index on an existing table concurrently, after dropping an INVALID leftover', () => {
    const sql = sqlOf('CREATE INDEX "t_name_idx" ON "t" USING btree ("name");');
    expect(sql).toMatch(/NOT indisvalid[\s\S]*DROP INDEX "public"."t_name_idx"/);
    expect(sql).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS t_name_idx ON t');
  });

  it('keeps an index on a table created in the same migration as drizzle-kit wrote it', () => {
    const sql = sqlOf(
      'CREATE INDEX "t_name_idx" ON "t" USING btree ("name");',
      ctx({ newTables: new Set(['public.t']) }),
    );
    expect(sql).not.toContain('CONCURRENTLY');
  });

  it('adds a foreign key NOT VALID, then validates it in a step of its own', () => {
    const r = rewrite(
      'ALTER TABLE "t" ADD CONSTRAINT "t_fk" FOREIGN KEY ("id") REFERENCES "public"."u"("id") ON DELETE cascade ON UPDATE no action;',
      ctx(),
    );
    if (!('steps' in r)) throw new Error('refused');
    const [add, validate] = r.steps[0]!.actions;
    expect(add!.sql).toMatch(/ON DELETE CASCADE NOT VALID/);
    expect(validate!.sql).toContain('VALIDATE CONSTRAINT "t_fk"');
    expect(validate!.noTransaction).toBe(true);
  });

  it('adds a UNIQUE constraint through a concurrent unique index and USING INDEX', () => {
    const sql = sqlOf('ALTER TABLE "t" ADD CONSTRAINT "t_name_unique" UNIQUE("name");');
    expect(sql).toContain('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_name_unique ON t');
    expect(sql).toContain('UNIQUE USING INDEX "t_name_unique"');
  });

  it('refuses a NOT NULL column without a default or --backfill, and backfills it in batches with one', () => {
    const deferred = new Map([['public.t.rank', 'new column without a constant default']]);
    const refused = rewrite('ALTER TABLE "t" ADD COLUMN "rank" integer;', ctx({ deferredNotNull: deferred }));
    expect(refused).toHaveProperty('refusal');
    const sql = sqlOf(
      'ALTER TABLE "t" ADD COLUMN "rank" integer;',
      ctx({ deferredNotNull: deferred, backfill: new Map([['public.t.rank', '1']]) }),
    );
    expect(sql).toContain('ADD COLUMN IF NOT EXISTS rank int');
    expect(sql).toMatch(/UPDATE "public"."t" SET "rank" = \(1\)[\s\S]*COMMIT;/);
  });

  it('adds a column with a volatile default nullable, sets the default, then backfills from it', () => {
    const sql = sqlOf('ALTER TABLE "t" ADD COLUMN "token" uuid DEFAULT gen_random_uuid();');
    expect(sql).toContain('ADD COLUMN IF NOT EXISTS token uuid;');
    expect(sql).toContain('ALTER COLUMN "token" SET DEFAULT gen_random_uuid()');
    expect(sql).toContain('SET "token" = (gen_random_uuid())');
  });

  it('makes a column NOT NULL through a CHECK NOT VALID, VALIDATE, SET NOT NULL, and drops the CHECK', () => {
    const sql = sqlOf('ALTER TABLE "t" ALTER COLUMN "name" SET NOT NULL;', ctx({ phase: 'post-deploy' }));
    const order = [
      'CHECK ("name" IS NOT NULL) NOT VALID',
      'VALIDATE CONSTRAINT',
      'SET NOT NULL',
      'DROP CONSTRAINT IF EXISTS',
    ];
    const at = order.map((s) => sql.lastIndexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('validates the NOT NULL CHECK outside the transaction that added it (whose ACCESS EXCLUSIVE lasts to COMMIT)', () => {
    const r = rewrite('ALTER TABLE "t" ALTER COLUMN "name" SET NOT NULL;', ctx({ phase: 'post-deploy' }));
    if (!('steps' in r)) throw new Error('refused');
    const validate = r.steps[0]!.actions.find((a) => a.sql.includes('VALIDATE CONSTRAINT'));
    expect(validate?.noTransaction).toBe(true);
  });

  it('archives a dropped column before dropping it', () => {
    const sql = sqlOf('ALTER TABLE "t" DROP COLUMN "name";', ctx({ phase: 'post-deploy' }));
    expect(sql).toContain('CREATE TABLE gym_migrations."0009_x__t__name" AS SELECT "id", "name"');
    expect(sql.indexOf('INSERT INTO gym_migrations')).toBeLessThan(sql.indexOf('DROP COLUMN "name"'));
  });

  it('moves a dropped table to gym_migrations instead of dropping it', () => {
    const sql = sqlOf('DROP TABLE "t" CASCADE;', ctx({ phase: 'post-deploy' }));
    expect(sql).not.toMatch(/DROP TABLE/);
    expect(sql).toContain('SET SCHEMA gym_migrations');
  });

  it('widens a varchar as written, and refuses a type change that rewrites the table', () => {
    expect(sqlOf('ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE text;')).toContain('SET DATA TYPE text');
    expect(rewrite('ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE integer;', ctx())).toHaveProperty('refusal');
    expect(rewrite('ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE varchar(20);', ctx())).toHaveProperty('refusal');
  });

  it('refuses a rename with the expand/contract recipe', () => {
    const r = rewrite('ALTER TABLE "t" RENAME COLUMN "name" TO "title";', ctx());
    expect(r).toHaveProperty('refusal');
    if ('refusal' in r) expect(r.refusal.recipe).toMatch(/expand\/contract/);
  });

  it('adds an enum value IF NOT EXISTS, first, outside a transaction', () => {
    const r = rewrite(`ALTER TYPE "public"."mood" ADD VALUE 'calm' BEFORE 'sad';`, ctx());
    if (!('steps' in r)) throw new Error('refused');
    expect(r.steps[0]!.first).toBe(true);
    expect(r.steps[0]!.actions[0]!.noTransaction).toBe(true);
    expect(r.steps[0]!.actions[0]!.sql).toContain('ADD VALUE IF NOT EXISTS');
  });

  it('refuses a new public table without row-level security on a Supabase project', () => {
    const open = { ...table({ id: { type: 'uuid', primaryKey: true } }), name: 'n', isRLSEnabled: false };
    const c = ctx({ to: snapshot({ 'public.n': open }), newTables: new Set(['public.n']) });
    expect(rewrite('CREATE TABLE "n" ("id" uuid PRIMARY KEY NOT NULL);', c)).toHaveProperty('refusal');
    const closed = ctx({
      to: snapshot({ 'public.n': { ...open, isRLSEnabled: true } }),
      newTables: new Set(['public.n']),
    });
    expect(sqlOf('CREATE TABLE "n" ("id" uuid PRIMARY KEY NOT NULL);', closed)).toMatch(
      /REVOKE ALL ON "public"."n" FROM anon/,
    );
  });
});

describe('helpers', () => {
  it('tells constant defaults from volatile ones', () => {
    for (const d of [`'a'`, '0', `'{}'::jsonb`, 'now()', 'CURRENT_TIMESTAMP', 'true'])
      expect(isNonVolatile(parseExpression(d))).toBe(true);
    for (const d of ['gen_random_uuid()', 'random()', 'clock_timestamp()', `nextval('s')`])
      expect(isNonVolatile(parseExpression(d))).toBe(false);
  });

  it('keeps generated names within 63 bytes, deterministically', () => {
    const long = 'x'.repeat(80);
    expect(archiveName('0009_tag', long, 'col').length).toBeLessThanOrEqual(63);
    expect(archiveName('0009_tag', long, 'col')).toBe(archiveName('0009_tag', long, 'col'));
    expect(notNullCheckName(long, 'col').length).toBeLessThanOrEqual(63);
  });
});
