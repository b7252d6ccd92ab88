import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as schema from '@gym/db/schema';
import { repoRoot } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { is, SQL } from 'drizzle-orm';
import { getTableConfig, getViewConfig, PgTable, PgView } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The Drizzle schema (what feature packages compile against) and the migrations (what production runs)
// must describe the same database (drizzle-orm #5059). Both directions are checked.
const tables = (Object.values(schema) as unknown[]).filter((v): v is PgTable => is(v, PgTable));

// The migrations keep their own tables (0004's archive of max_participants and location) in gym_migrations,
// out of public: public holds exactly the application's tables and views.
const views = (Object.values(schema) as unknown[]).filter((v): v is PgView => is(v, PgView));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function literalDefault(value: unknown): string | undefined {
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'::text`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

describe('the migrated catalog matches the Drizzle schema', () => {
  it('declares the tables the migrations create, and no more', async () => {
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const expected = tables.map((t) => getTableConfig(t).name);
    expect(rows.map((r) => r.table_name).sort()).toEqual(expected.sort());
  });

  it('declares every view in public (so that drizzle-kit push leaves them alone), with its columns', async () => {
    const { rows } = await db.query<{ table_name: string; columns: string[] }>(
      `SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
         FROM information_schema.columns c JOIN information_schema.views v USING (table_schema, table_name)
        WHERE c.table_schema = 'public' GROUP BY c.table_name`,
    );
    const declared = views.map((v) => {
      const config = getViewConfig(v);
      return {
        table_name: config.name,
        columns: Object.values(config.selectedFields).map((c) => (c as { name: string }).name),
      };
    });
    const byName = (a: { table_name: string }, b: { table_name: string }) => a.table_name.localeCompare(b.table_name);
    expect(rows.sort(byName)).toEqual(declared.sort(byName));
  });

  for (const table of tables) {
    const config = getTableConfig(table);
    describe(config.name, () => {
      it('columns: names, types, nullability, defaults', async () => {
        const { rows } = await db.query<{
          column_name: string;
          type: string;
          is_nullable: string;
          column_default: string | null;
        }>(
          `SELECT column_name, format_type(a.atttypid, a.atttypmod) AS type, is_nullable, column_default
             FROM information_schema.columns c
             JOIN pg_attribute a ON a.attrelid = ('public.' || c.table_name)::regclass AND a.attname = c.column_name
            WHERE c.table_schema = 'public' AND c.table_name = $1`,
          [config.name],
        );
        const live = new Map(rows.map((r) => [r.column_name, r]));
        expect([...live.keys()].sort()).toEqual(config.columns.map((c) => c.name).sort());
        for (const col of config.columns) {
          const l = live.get(col.name)!;
          expect({
            column: col.name,
            type: l.type,
            nullable: l.is_nullable === 'YES',
            hasDefault: l.column_default !== null,
          }).toEqual({
            column: col.name,
            type: col.getSQLType(),
            nullable: !col.notNull,
            hasDefault: col.hasDefault,
          });
          const literal = col.hasDefault && !is(col.default, SQL) ? literalDefault(col.default) : undefined;
          if (literal !== undefined)
            expect({ column: col.name, default: l.column_default }).toEqual({ column: col.name, default: literal });
        }
      });

      it('foreign keys with their ON DELETE', async () => {
        const { rows } = await db.query<{ conname: string; def: string }>(
          `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
            WHERE conrelid = ('public.' || $1)::regclass AND contype = 'f' AND convalidated`,
          [config.name],
        );
        const expected = config.foreignKeys.map((fk) => {
          const ref = fk.reference();
          const onDelete = (fk.onDelete ?? 'no action').toUpperCase();
          const tail = onDelete === 'NO ACTION' ? '' : ` ON DELETE ${onDelete}`;
          return {
            conname: fk.getName(),
            def: `FOREIGN KEY (${ref.columns.map((c) => c.name).join(', ')}) REFERENCES ${getTableConfig(ref.foreignTable).name}(${ref.foreignColumns.map((c) => c.name).join(', ')})${tail}`,
          };
        });
        expect(rows.sort((a, b) => a.conname.localeCompare(b.conname))).toEqual(
          expected.sort((a, b) => a.conname.localeCompare(b.conname)),
        );
      });

      it('indexes, unique constraints and checks', async () => {
        const { rows: idx } = await db.query<{ name: string; cols: string; valid: boolean }>(
          `SELECT c.relname AS name, i.indisvalid AS valid,
                  coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum), '') AS cols
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = ('public.' || $1)::regclass AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype = 'u')`,
          [config.name],
        );
        const expectedIdx = config.indexes.map((ix) => ({
          name: ix.config.name!,
          valid: true,
          cols: ix.config.columns.map((c) => (c as { name: string }).name).join(','),
        }));
        expect(idx.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
          expectedIdx.sort((a, b) => a.name.localeCompare(b.name)),
        );

        const { rows: cons } = await db.query<{ conname: string; contype: string }>(
          `SELECT conname, contype FROM pg_constraint WHERE conrelid = ('public.' || $1)::regclass AND contype IN ('u', 'c')`,
          [config.name],
        );
        const uniques = [
          ...config.uniqueConstraints.map((u) => u.getName()),
          ...config.columns.filter((c) => c.isUnique).map((c) => c.uniqueName!),
        ];
        expect(
          cons
            .filter((c) => c.contype === 'u')
            .map((c) => c.conname)
            .sort(),
        ).toEqual(uniques.sort());
        expect(
          cons
            .filter((c) => c.contype === 'c')
            .map((c) => c.conname)
            .sort(),
        ).toEqual(config.checks.map((c) => c.name).sort());
      });
    });
  }
});

describe('drizzle-kit generate finds nothing to do', () => {
  it('the schema and the last snapshot agree', () => {
    const dbDir = path.join(repoRoot, 'packages/db');
    // A throwaway copy of the migrations, so that a detected change writes nowhere that matters.
    const scratch = `.drift-check-${process.pid}`;
    const scratchDir = path.join(dbDir, scratch);
    fs.cpSync(path.join(dbDir, 'migrations'), scratchDir, { recursive: true });
    const configFile = path.join(dbDir, `drizzle.drift-${process.pid}.config.ts`);
    fs.writeFileSync(
      configFile,
      `import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ dialect: 'postgresql', schema: './src/schema/index.ts', out: './${scratch}', strict: true });\n`,
    );
    try {
      const before = fs.readdirSync(scratchDir).sort();
      const r = spawnSync(
        process.execPath,
        [path.join(dbDir, 'node_modules/drizzle-kit/bin.cjs'), 'generate', `--config=${path.basename(configFile)}`],
        {
          cwd: dbDir,
          encoding: 'utf8',
          timeout: 60_000,
          // No terminal: if drizzle-kit wanted to ask about a rename, it would fail instead of waiting.
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      expect({ status: r.status, said: `${r.stdout}${r.stderr}`.includes('No schema changes') }).toEqual({
        status: 0,
        said: true,
      });
      expect(fs.readdirSync(scratchDir).sort()).toEqual(before);
    } finally {
      fs.rmSync(scratchDir, { recursive: true, force: true });
      fs.rmSync(configFile, { force: true });
    }
  });
});
