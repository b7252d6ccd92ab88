import { describe, expect, it } from 'vitest';
import { isSafeTypeChange } from '../src/rules.js';
import { phase, possibleRenames, type Snapshot } from '../src/snapshot.js';

function snap(
  columns: Record<string, { notNull?: boolean; default?: string }>,
  extra: Partial<Snapshot> = {},
): Snapshot {
  return {
    id: 'a',
    prevId: 'b',
    version: '7',
    dialect: 'postgresql',
    tables: {
      'public.t': {
        name: 't',
        schema: 'public',
        columns: Object.fromEntries(
          Object.entries(columns).map(([name, c]) => [
            name,
            {
              name,
              type: 'text',
              primaryKey: name === 'id',
              notNull: !!c.notNull,
              ...(c.default ? { default: c.default } : {}),
            },
          ]),
        ),
        indexes: {},
        foreignKeys: {},
        compositePrimaryKeys: {},
        uniqueConstraints: {},
        policies: {},
        checkConstraints: {},
        isRLSEnabled: false,
      },
    },
    enums: {},
    schemas: {},
    views: {},
    sequences: {},
    roles: {},
    policies: {},
    _meta: { columns: {}, schemas: {}, tables: {} },
    ...extra,
  };
}

const constant = (d: string) => d.startsWith("'");

describe('phasing: expand before the deploy, contract after', () => {
  it('keeps a dropped column until the post-deploy step', () => {
    const { mid } = phase(snap({ id: {}, old: {} }), snap({ id: {} }), constant);
    expect(Object.keys(mid.tables['public.t']!.columns)).toEqual(['id', 'old']);
  });

  it('defers NOT NULL of a new column without a constant default, not of one with it', () => {
    const { mid, deferredNotNull } = phase(
      snap({ id: {} }),
      snap({
        id: {},
        a: { notNull: true },
        b: { notNull: true, default: "'x'" },
        c: { notNull: true, default: 'gen_random_uuid()' },
      }),
      constant,
    );
    const cols = mid.tables['public.t']!.columns;
    expect([cols.a!.notNull, cols.b!.notNull, cols.c!.notNull]).toEqual([false, true, false]);
    expect([...deferredNotNull.keys()].sort()).toEqual(['public.t.a', 'public.t.c']);
  });

  it('defers SET NOT NULL and DROP DEFAULT on existing columns', () => {
    const { mid } = phase(snap({ id: {}, a: { default: "'x'" } }), snap({ id: {}, a: { notNull: true } }), constant);
    expect(mid.tables['public.t']!.columns.a).toMatchObject({ notNull: false, default: "'x'" });
  });

  it('defers a new PRIMARY KEY over a column nullable before, not one over NOT NULL columns', () => {
    const before = snap({ id: {}, a: { notNull: true }, b: {} });
    const after = snap({ id: {}, a: { notNull: true }, b: {} });
    after.tables['public.t']!.compositePrimaryKeys = {
      t_pkey: { name: 't_pkey', columns: ['a', 'b'] },
    } as never;
    expect(Object.keys(phase(before, after, constant).mid.tables['public.t']!.compositePrimaryKeys)).toEqual([]);
    after.tables['public.t']!.compositePrimaryKeys = { t_pkey: { name: 't_pkey', columns: ['a'] } } as never;
    expect(Object.keys(phase(before, after, constant).mid.tables['public.t']!.compositePrimaryKeys)).toEqual([
      't_pkey',
    ]);
  });

  it('finds what drizzle-kit would ask about as a rename', () => {
    expect(possibleRenames(snap({ id: {}, a: {} }), snap({ id: {}, b: {} }))).toEqual([
      { kind: 'column', scope: 'public.t', dropped: ['a'], added: ['b'] },
    ]);
    expect(possibleRenames(snap({ id: {}, a: {} }), snap({ id: {}, a: {}, b: {} }))).toEqual([]);
  });
});

describe('type changes', () => {
  const ty = (name: string, mods: number[] = []) => ({ name, mods, array: false });
  it('lets through those that need no rewrite or scan', () => {
    expect(isSafeTypeChange(ty('varchar', [50]), ty('varchar', [100]))).toBe(true);
    expect(isSafeTypeChange(ty('varchar', [50]), ty('text'))).toBe(true);
    expect(isSafeTypeChange(ty('numeric', [10, 2]), ty('numeric', [12, 2]))).toBe(true);
  });
  it('refuses the others', () => {
    expect(isSafeTypeChange(ty('varchar', [50]), ty('varchar', [20]))).toBe(false);
    expect(isSafeTypeChange(ty('text'), ty('varchar', [20]))).toBe(false);
    expect(isSafeTypeChange(ty('int4'), ty('int8'))).toBe(false);
    expect(isSafeTypeChange(ty('numeric', [10, 2]), ty('numeric', [12, 3]))).toBe(false);
  });
});
