/**
 * drizzle-kit's PostgreSQL snapshots (version 7), read loosely: the generator only looks at names,
 * columns, nullability, defaults and primary keys, and builds the intermediate snapshot between the two
 * phases of a change.
 */
export interface SnapshotColumn {
  name: string;
  type: string;
  primaryKey: boolean;
  notNull: boolean;
  default?: string;
  [k: string]: unknown;
}

export interface SnapshotTable {
  name: string;
  schema: string;
  columns: Record<string, SnapshotColumn>;
  indexes: Record<string, unknown>;
  foreignKeys: Record<string, unknown>;
  compositePrimaryKeys: Record<string, { name: string; columns: string[] }>;
  uniqueConstraints: Record<string, unknown>;
  policies: Record<string, { name: string; to?: string[]; [k: string]: unknown }>;
  checkConstraints: Record<string, unknown>;
  isRLSEnabled: boolean;
  [k: string]: unknown;
}

export interface Snapshot {
  id: string;
  prevId: string;
  version: string;
  dialect: string;
  tables: Record<string, SnapshotTable>;
  enums: Record<string, { name: string; schema: string; values: string[] }>;
  schemas: Record<string, string>;
  views: Record<string, { name: string; schema: string; with?: Record<string, unknown>; [k: string]: unknown }>;
  sequences: Record<string, unknown>;
  roles: Record<string, unknown>;
  policies: Record<string, unknown>;
  _meta: { columns: Record<string, string>; schemas: Record<string, string>; tables: Record<string, string> };
  [k: string]: unknown;
}

const TABLE_PARTS = [
  'columns',
  'indexes',
  'foreignKeys',
  'compositePrimaryKeys',
  'uniqueConstraints',
  'policies',
  'checkConstraints',
] as const;
const TOP_LEVEL = ['enums', 'schemas', 'views', 'sequences', 'roles', 'policies'] as const;

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The single-column primary key of a table, if it has exactly one (keyset batches walk it). */
export function singlePrimaryKey(table: SnapshotTable): SnapshotColumn | undefined {
  const composite = Object.values(table.compositePrimaryKeys ?? {});
  if (composite.length === 1 && composite[0]!.columns.length === 1) return table.columns[composite[0]!.columns[0]!];
  if (composite.length > 0) return undefined;
  const pks = Object.values(table.columns).filter((c) => c.primaryKey);
  return pks.length === 1 ? pks[0] : undefined;
}

/** A possible rename: something of one kind disappeared and something of the same kind appeared beside it. */
export interface PossibleRename {
  kind: string;
  /** Where it happened: a table for columns, a schema otherwise. */
  scope: string;
  dropped: string[];
  added: string[];
}

function diffKeys(before: Record<string, unknown>, after: Record<string, unknown>) {
  return {
    dropped: Object.keys(before).filter((k) => !(k in after)),
    added: Object.keys(after).filter((k) => !(k in before)),
  };
}

/**
 * Where drizzle-kit would ask whether something was renamed: in one step, an item of a kind is gone and
 * another of the same kind is new (its resolvers prompt exactly then). The generator never lets it ask.
 */
export function possibleRenames(prev: Snapshot, cur: Snapshot): PossibleRename[] {
  const found: PossibleRename[] = [];
  const add = (kind: string, scope: string, before: Record<string, unknown>, after: Record<string, unknown>) => {
    const { dropped, added } = diffKeys(before ?? {}, after ?? {});
    if (dropped.length && added.length) found.push({ kind, scope, dropped, added });
  };
  add('table', 'the schema', prev.tables, cur.tables);
  for (const kind of TOP_LEVEL) add(kind.replace(/s$/, ''), 'the schema', prev[kind], cur[kind]);
  for (const [key, table] of Object.entries(cur.tables)) {
    const before = prev.tables[key];
    if (!before) continue;
    add('column', key, before.columns, table.columns);
    add('policy', key, before.policies, table.policies);
  }
  return found;
}

/** Enum values that disappear (drizzle-kit recreates the type and rewrites every column using it). */
export function removedEnumValues(prev: Snapshot, cur: Snapshot): { key: string; values: string[] }[] {
  const out: { key: string; values: string[] }[] = [];
  for (const [key, e] of Object.entries(prev.enums)) {
    const now = cur.enums[key];
    if (!now) continue;
    const gone = e.values.filter((v) => !now.values.includes(v));
    if (gone.length) out.push({ key, values: gone });
  }
  return out;
}

export interface Phasing {
  /** The schema between the two phases: everything added or widened, nothing dropped or narrowed yet. */
  mid: Snapshot;
  /** "schema.table.column" of columns made NOT NULL in the post-deploy phase, and why. */
  deferredNotNull: Map<string, 'new column without a constant default' | 'existing column'>;
}

/**
 * Splits a change into its two phases by building the snapshot in between (expand, then contract):
 * - pre-deploy (prev to mid): whatever the old app keeps working with: new tables, columns, indexes,
 *   constraints, enum values, widened types, new defaults;
 * - post-deploy (mid to cur): what would break the old app, run once it is gone: drops (tables, columns,
 *   indexes, constraints, defaults, views, enums, policies) and NOT NULL on columns the old app may leave
 *   empty (a new column without a constant default, an existing nullable column, a new PRIMARY KEY over one).
 * drizzle-kit then diffs each phase on its own, so neither diff has an item dropped beside one added, and
 * drizzle-kit never has a rename to ask about.
 */
export function phase(prev: Snapshot, cur: Snapshot, constantDefault: (d: string) => boolean): Phasing {
  const mid = clone(cur);
  const deferredNotNull: Phasing['deferredNotNull'] = new Map();
  for (const [key, before] of Object.entries(prev.tables)) {
    const after = mid.tables[key];
    if (!after) {
      mid.tables[key] = clone(before);
      continue;
    }
    for (const part of TABLE_PARTS) {
      const into = after[part] as Record<string, unknown>;
      for (const [name, item] of Object.entries(before[part] ?? {})) if (!(name in into)) into[name] = clone(item);
    }
    for (const [name, col] of Object.entries(after.columns)) {
      const old = before.columns[name];
      if (!old) {
        if (col.notNull && !col.primaryKey && !(col.default !== undefined && constantDefault(col.default))) {
          col.notNull = false;
          deferredNotNull.set(`${key}.${name}`, 'new column without a constant default');
        }
        continue;
      }
      if (old.default !== undefined && col.default === undefined) col.default = old.default;
      if (!old.notNull && col.notNull && !col.primaryKey) {
        col.notNull = false;
        deferredNotNull.set(`${key}.${name}`, 'existing column');
      }
    }
    // A new PRIMARY KEY makes its columns NOT NULL: over a column nullable before, the old app may still write
    // NULL, so the key waits for the post-deploy step, as SET NOT NULL does.
    for (const [name, pk] of Object.entries(after.compositePrimaryKeys ?? {})) {
      if (name in (before.compositePrimaryKeys ?? {})) continue;
      if (pk.columns.some((c) => before.columns[c] && !before.columns[c].notNull))
        delete after.compositePrimaryKeys[name];
    }
    if (before.isRLSEnabled && !after.isRLSEnabled) after.isRLSEnabled = true;
  }
  for (const kind of TOP_LEVEL) {
    const into = mid[kind] as Record<string, unknown>;
    for (const [name, item] of Object.entries(prev[kind] ?? {})) if (!(name in into)) into[name] = clone(item);
  }
  return { mid, deferredNotNull };
}

/** Tables that exist in `after` and not in `before`: everything on them runs as drizzle-kit wrote it. */
export function newTables(before: Snapshot, after: Snapshot): Set<string> {
  return new Set(Object.keys(after.tables).filter((k) => !(k in before.tables)));
}

export function newEnums(before: Snapshot, after: Snapshot): Set<string> {
  return new Set(Object.keys(after.enums).filter((k) => !(k in before.enums)));
}
