/**
 * The forward rules: each statement drizzle-kit wrote for one phase, parsed by PostgreSQL's parser, becomes
 * lock-safe, guarded steps, or a refusal with its recipe.
 */
import type { Refusal } from './errors.js';
import type { Snapshot, SnapshotTable } from './snapshot.js';
import { singlePrimaryKey } from './snapshot.js';
import {
  deparse,
  deparseStatement,
  ident,
  isNonVolatile,
  keyOf,
  literal,
  type Node,
  names,
  oneLine,
  type Parsed,
  parseStatement,
  qualified,
  type TableName,
  tableOf,
} from './sql.js';
import { LOCKS, type Phase, type Step } from './steps.js';
import {
  ARCHIVE_SCHEMA,
  archiveName,
  batchLoop,
  columnExists,
  columnIsNotNull,
  constraintExists,
  dropInvalidIndex,
  guarded,
  lockArchiveSchema,
  lockArchiveTable,
  notNullCheckName,
  policyExists,
  tableExists,
  typeExists,
  validateConstraint,
} from './templates.js';

export interface RuleContext {
  /** The tag of the file the steps go to (archive names start with it). */
  tag: string;
  phase: Phase;
  /** The phase's snapshots: before and after it. */
  from: Snapshot;
  to: Snapshot;
  /** Tables and enums created in this phase: everything on them runs as drizzle-kit wrote it. */
  newTables: Set<string>;
  newEnums: Set<string>;
  /** NOT NULL columns made NOT NULL in the post-deploy phase ("schema.table.column"). */
  deferredNotNull: Map<string, string>;
  /** --backfill values, by "schema.table.column". */
  backfill: Map<string, string>;
  /** Session settings for every batch (--set). */
  settings: Record<string, string>;
  supabase: boolean;
}

export type RuleResult = { steps: Step[] } | { refusal: Refusal };

const refuse = (statement: string, why: string, recipe: string): RuleResult => ({
  refusal: { statement: oneLine(statement), why, recipe },
});

function columnKey(t: TableName, column: string): string {
  return `${keyOf(t)}.${column}`;
}

function tableIn(snapshot: Snapshot, t: TableName): SnapshotTable | undefined {
  return snapshot.tables[keyOf(t)];
}

/** A statement kept as drizzle-kit wrote it, behind a guard that makes a second run a no-op. */
function asWritten(p: Parsed, ctx: RuleContext, sql: string, does: string, why = ''): RuleResult {
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'as written',
        why,
        phase: ctx.phase,
        actions: [{ sql, does, lock: 'ACCESS EXCLUSIVE', holds: LOCKS.catalog }],
      },
    ],
  };
}

/** Whether the text is only SQL comments and whitespace. */
function commentOnly(text: string): boolean {
  return (
    text
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/--[^\n]*/g, '')
      .trim() === ''
  );
}

function withEnd(sql: string): string {
  return sql.trim().replace(/;?$/, ';');
}

/** Applies the forward rules to one statement of drizzle-kit's. */
export function rewrite(text: string, ctx: RuleContext): RuleResult {
  // drizzle-kit writes a comment instead of SQL where it cannot name a column-level primary key ("we can't
  // automatically get name for primary key"): nothing to rewrite, and applying the comment would drop the change.
  if (commentOnly(text)) {
    return refuse(
      text,
      'drizzle-kit wrote a comment instead of SQL for this change (a column-level primary key it cannot name)',
      'declare the key at table level, primaryKey({ name, columns }), so that drizzle-kit names it; or write the change by hand (pnpm db:generate:drizzle-kit --custom) with a rollback',
    );
  }
  const p = parseStatement(text);
  switch (p.type) {
    case 'CreateSchemaStmt':
      p.node.if_not_exists = true;
      return asWritten(p, ctx, withEnd(deparseStatement(p.type, p.node)), 'create the schema');
    case 'CreateEnumStmt': {
      const [schema, name] = qualifiedName(p.node.typeName);
      return asWritten(p, ctx, guarded(`NOT ${typeExists(schema, name)}`, p.text), 'create the enum');
    }
    case 'AlterEnumStmt':
      return enumValue(p, ctx);
    case 'CreateStmt':
      return createTable(p, ctx);
    case 'AlterTableStmt':
      return alterTable(p, ctx);
    case 'IndexStmt':
      return createIndex(p, ctx);
    case 'DropStmt':
      return drop(p, ctx);
    case 'CreatePolicyStmt': {
      const t = tableOf(p.node.table);
      return asWritten(p, ctx, guarded(`NOT ${policyExists(t, p.node.policy_name)}`, p.text), 'create the policy');
    }
    case 'AlterPolicyStmt':
      return asWritten(
        p,
        ctx,
        guarded(policyExists(tableOf(p.node.table), p.node.policy_name), p.text),
        'alter the policy (the same result when run again)',
      );
    case 'ViewStmt':
      return createView(p, ctx);
    case 'CreateSeqStmt':
      p.node.if_not_exists = true;
      return asWritten(p, ctx, withEnd(deparseStatement(p.type, p.node)), 'create the sequence');
    case 'CreateRoleStmt':
    case 'DropRoleStmt':
    case 'AlterRoleStmt':
      return refuse(
        p.text,
        'roles belong to the whole cluster, not to one database, so a migration and its rollback cannot own them',
        'create or drop the role outside the migrations (or mark it .existing() in the schema), then run db:generate again',
      );
    case 'RenameStmt':
      return refuse(
        p.text,
        'a rename breaks every running instance of the app, which still uses the old name',
        'expand/contract: add the new name beside the old one (a new column or table, with --backfill), make the app use it, then drop the old one in a later db:generate',
      );
    default:
      return refuse(
        p.text,
        `gym-generate has no lock-safe rewrite for ${p.type}`,
        'write this change by hand (drizzle-kit generate --custom) with a rollback, and a comment saying why',
      );
  }
}

function qualifiedName(list: Node[]): [string, string] {
  const parts = names(list);
  return parts.length > 1 ? [parts[0]!, parts[1]!] : ['public', parts[0]!];
}

// A new enum value commits in a step of its own, before anything uses it: inside a transaction, PostgreSQL
// refuses a value added by that same transaction.
function enumValue(p: Parsed, ctx: RuleContext): RuleResult {
  if (!p.node.newVal) {
    return refuse(
      p.text,
      'renaming an enum value breaks every running instance of the app that still writes the old one',
      'expand/contract: add the new value, make the app write it, migrate the rows, and leave the old value unused',
    );
  }
  const [schema, name] = qualifiedName(p.node.typeName);
  if (ctx.newEnums.has(`${schema}.${name}`)) return asWritten(p, ctx, withEnd(p.text), 'add the enum value');
  p.node.skipIfNewValExists = true;
  // drizzle-kit appends without saying so; AFTER the last value is the same, and says where it goes.
  const last = ctx.from.enums[`${schema}.${name}`]?.values.at(-1);
  if (!p.node.newValNeighbor && last) {
    p.node.newValNeighbor = last;
    p.node.newValIsAfter = true;
  }
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'enum value in its own step',
        why: 'a new enum value cannot be used in the transaction that adds it, so it is added (IF NOT EXISTS) and committed in a step of its own, before anything uses it',
        phase: ctx.phase,
        first: true,
        actions: [
          {
            sql: withEnd(deparseStatement(p.type, p.node)),
            does: `add the value '${p.node.newVal}' to ${name}, committed on its own`,
            lock: 'ACCESS EXCLUSIVE on the type',
            holds: LOCKS.catalog,
            noTransaction: true,
          },
        ],
      },
    ],
  };
}

function createTable(p: Parsed, ctx: RuleContext): RuleResult {
  const t = tableOf(p.node.relation);
  const table = tableIn(ctx.to, t);
  if (ctx.supabase && t.schema === 'public' && table && !table.isRLSEnabled && !Object.keys(table.policies).length) {
    return refuse(
      p.text,
      `the new table ${t.name} would have row-level security off, and Supabase serves every table in public to its API roles`,
      `add .enableRLS() (or its policies) to the pgTable of ${t.name} in the schema, then run db:generate again`,
    );
  }
  p.node.if_not_exists = true;
  const steps: Step[] = [
    {
      source: p.text,
      rewrite: 'as written (new table)',
      why: '',
      phase: ctx.phase,
      actions: [
        {
          sql: withEnd(deparseStatement(p.type, p.node)),
          does: `create ${t.name} (new and empty)`,
          lock: 'none on existing tables',
          holds: LOCKS.catalog,
        },
      ],
    },
  ];
  const anonPolicy = Object.values(table?.policies ?? {}).some((pol) => pol.to?.includes('anon'));
  if (ctx.supabase && t.schema === 'public' && !anonPolicy) {
    steps.push({
      source: p.text,
      rewrite: 'anon revoked on a new table',
      why: `Supabase's default privileges give anon every privilege on a new table in public; ${t.name} has no policy for anon, so anon gets none`,
      phase: ctx.phase,
      actions: [
        {
          sql: guarded(
            `EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon')`,
            `REVOKE ALL ON ${qualified(t)} FROM anon`,
          ),
          does: `revoke every privilege of anon on ${t.name}`,
          lock: 'none',
          holds: LOCKS.catalog,
        },
      ],
    });
  }
  return { steps };
}

function createView(p: Parsed, ctx: RuleContext): RuleResult {
  const t = tableOf(p.node.view);
  const options = (p.node.options ?? []).map((o: Node) => o.DefElem);
  const invoker = options.find((o: Node) => o.defname === 'security_invoker');
  const on = invoker && /^(true|on|1)$/i.test(String(deparse(invoker.arg)).replace(/'/g, ''));
  if (ctx.supabase && t.schema === 'public' && !on) {
    return refuse(
      p.text,
      `the new view ${t.name} would run with its owner's rights, bypassing the row-level security of the tables it reads`,
      `add .with({ securityInvoker: true }) to the pgView of ${t.name} in the schema, then run db:generate again`,
    );
  }
  return asWritten(p, ctx, guarded(`NOT ${tableExists(t)}`, p.text), `create the view ${t.name}`);
}

function createIndex(p: Parsed, ctx: RuleContext): RuleResult {
  const t = tableOf(p.node.relation);
  const name: string = p.node.idxname;
  if (ctx.newTables.has(keyOf(t))) {
    p.node.if_not_exists = true;
    const concurrent = !!p.node.concurrent;
    return {
      steps: [
        {
          source: p.text,
          rewrite: 'as written (new table)',
          why: '',
          phase: ctx.phase,
          actions: [
            {
              sql: withEnd(deparseStatement(p.type, p.node)),
              does: `create the index ${name} on the new table ${t.name}`,
              lock: 'SHARE on the new, empty table',
              holds: LOCKS.catalog,
              noTransaction: concurrent,
            },
          ],
        },
      ],
    };
  }
  return concurrentIndex(p, ctx, t, name, p.node);
}

function concurrentIndex(p: Parsed, ctx: RuleContext, t: TableName, name: string, index: Node): RuleResult {
  index.concurrent = true;
  index.if_not_exists = true;
  index.idxname = name;
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'index built concurrently',
        why: `a plain CREATE INDEX blocks every write to ${t.name} for the whole build; CONCURRENTLY blocks none, in a no-transaction migration, after dropping an INVALID leftover of an interrupted run`,
        phase: ctx.phase,
        actions: [
          {
            sql: dropInvalidIndex(t.schema, name),
            does: `drop an INVALID ${name} left by an interrupted run, if any`,
            lock: `ACCESS EXCLUSIVE on ${t.name}, only if there is a leftover`,
            holds: LOCKS.catalog,
          },
          {
            sql: withEnd(deparseStatement('IndexStmt', index)),
            does: `build ${name} concurrently`,
            lock: `SHARE UPDATE EXCLUSIVE on ${t.name}`,
            holds: LOCKS.concurrent,
            noTransaction: true,
          },
        ],
      },
    ],
  };
}

function drop(p: Parsed, ctx: RuleContext): RuleResult {
  const kind: string = p.node.removeType;
  const objects: Node[] = p.node.objects ?? [];
  if (objects.length !== 1) {
    return refuse(p.text, 'a DROP of several objects at once', 'drop them one per statement (drizzle-kit does)');
  }
  const parts = names(objects[0].List?.items ?? [objects[0]]);
  if (kind === 'OBJECT_TABLE') return archiveTable(p, ctx, parts);
  // A policy of a table dropped in the same step goes to the archive with its table, and comes back with it.
  if (kind === 'OBJECT_POLICY' && droppedTable(ctx, parts.slice(0, -1))) return { steps: [] };
  p.node.missing_ok = true;
  if (kind === 'OBJECT_INDEX') {
    p.node.concurrent = true;
    const name = parts.at(-1)!;
    return {
      steps: [
        {
          source: p.text,
          rewrite: 'index dropped concurrently, after the deploy',
          why: `a plain DROP INDEX waits for and blocks every query on its table; the old app may rely on ${name}, so it goes after the deploy, CONCURRENTLY`,
          phase: ctx.phase,
          actions: [
            {
              sql: withEnd(deparseStatement(p.type, p.node)),
              does: `drop ${name} concurrently`,
              lock: 'SHARE UPDATE EXCLUSIVE',
              holds: LOCKS.concurrent,
              noTransaction: true,
            },
          ],
        },
      ],
    };
  }
  if (kind === 'OBJECT_VIEW' || kind === 'OBJECT_MATVIEW') {
    const t: TableName =
      parts.length > 1 ? { schema: parts[0]!, name: parts[1]! } : { schema: 'public', name: parts[0]! };
    if (ctx.to.views[keyOf(t)]) {
      return refuse(
        p.text,
        `drizzle-kit recreates the view ${t.name} to change it, and the running app reads it in between`,
        `write CREATE OR REPLACE VIEW ${t.name} by hand (drizzle-kit generate --custom), with a rollback that restores the old definition`,
      );
    }
  }
  if (kind === 'OBJECT_SEQUENCE') {
    return refuse(
      p.text,
      'dropping a sequence loses its current value, which a rollback could not restore',
      'leave the sequence in place (remove it from the schema later by hand, drizzle-kit generate --custom)',
    );
  }
  const what: Record<string, string> = {
    OBJECT_VIEW: 'view',
    OBJECT_MATVIEW: 'materialized view',
    OBJECT_TYPE: 'type',
    OBJECT_SCHEMA: 'schema',
    OBJECT_POLICY: 'policy',
  };
  if (!what[kind]) {
    return refuse(
      p.text,
      `gym-generate has no lock-safe rewrite for DROP ${kind}`,
      'write it by hand (drizzle-kit generate --custom)',
    );
  }
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'dropped after the deploy',
        why: `the old app may still use the ${what[kind]}, so it is dropped in the post-deploy step, IF EXISTS`,
        phase: ctx.phase,
        actions: [
          {
            sql: withEnd(deparseStatement(p.type, p.node)),
            does: `drop the ${what[kind]} ${parts.at(-1)}`,
            lock: 'ACCESS EXCLUSIVE',
            holds: LOCKS.catalog,
          },
        ],
      },
    ],
  };
}

/** Whether a table ("name" or "schema", "name") is gone after this phase: it is archived whole. */
function droppedTable(ctx: RuleContext, parts: string[]): boolean {
  const t: TableName =
    parts.length > 1 ? { schema: parts[0]!, name: parts[1]! } : { schema: 'public', name: parts[0]! };
  return !!ctx.from.tables[keyOf(t)] && !ctx.to.tables[keyOf(t)];
}

// A dropped table is moved, data, indexes, policies and privileges included, into gym_migrations: a catalog
// change, and the rollback moves it back exactly. Its foreign keys are dropped on the way (from the archive
// they would still restrict deletes in live tables); the rollback adds them again.
function archiveTable(p: Parsed, ctx: RuleContext, parts: string[]): RuleResult {
  const t: TableName =
    parts.length > 1 ? { schema: parts[0]!, name: parts[1]! } : { schema: 'public', name: parts[0]! };
  const archive = archiveName(ctx.tag, t.name);
  const body = `DECLARE
  r record;
BEGIN
  IF to_regclass(${literal(qualified(t))}) IS NULL THEN
    RETURN;
  END IF;
  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(${literal(qualified(t))}) AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE ${qualified(t).replace(/%/g, '%%')} DROP CONSTRAINT %I', r.conname);
  END LOOP;
  ALTER TABLE ${qualified(t)} RENAME TO ${ident(archive)};
  ALTER TABLE ${ident(t.schema)}.${ident(archive)} SET SCHEMA ${ARCHIVE_SCHEMA};
END`;
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'table archived, not dropped',
        archives: keyOf(t),
        why: `drizzle-kit drops ${t.name} with CASCADE and its rows for good; it is moved to ${ARCHIVE_SCHEMA}.${archive} instead (a catalog change: data, indexes, policies and privileges kept), which only the migrations can read, so that the rollback moves it back exactly; after the deploy, since the old app may still use it`,
        phase: ctx.phase,
        actions: [
          {
            sql: `CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_SCHEMA};`,
            does: `create ${ARCHIVE_SCHEMA} if missing`,
            lock: 'none',
            holds: LOCKS.catalog,
          },
          {
            sql: lockArchiveSchema(),
            does: `only the owner may use ${ARCHIVE_SCHEMA}`,
            lock: 'none',
            holds: LOCKS.catalog,
          },
          {
            sql: `DO $gym$\n${body}\n$gym$;`,
            does: `move ${t.name} to ${ARCHIVE_SCHEMA}.${archive}, without its foreign keys`,
            lock: `ACCESS EXCLUSIVE on ${t.name}`,
            holds: LOCKS.catalog,
          },
        ],
      },
    ],
  };
}

function alterTable(p: Parsed, ctx: RuleContext): RuleResult {
  const t = tableOf(p.node.relation);
  const cmds: Node[] = p.node.cmds ?? [];
  if (cmds.length !== 1) {
    return refuse(
      p.text,
      'an ALTER TABLE with several actions at once',
      'split it, one action per statement (drizzle-kit does)',
    );
  }
  const cmd = cmds[0].AlterTableCmd;
  const isNew = ctx.newTables.has(keyOf(t));
  switch (cmd.subtype) {
    case 'AT_AddColumn':
      return isNew ? newTableAlter(p, ctx, t) : addColumn(p, ctx, t, cmd);
    case 'AT_DropColumn':
      return dropColumn(p, ctx, t, cmd);
    case 'AT_AddConstraint':
      return isNew
        ? newTableAlter(p, ctx, t, cmd.def.Constraint.conname)
        : addConstraint(p, ctx, t, cmd.def.Constraint);
    case 'AT_DropConstraint':
      if (droppedTable(ctx, [t.schema, t.name])) return { steps: [] };
      cmd.missing_ok = true;
      return {
        steps: [
          {
            source: p.text,
            rewrite: 'dropped after the deploy',
            why: `the old app may rely on ${cmd.name} (it refuses what the old app's code never checks), so it is dropped in the post-deploy step, IF EXISTS`,
            phase: ctx.phase,
            actions: [
              {
                sql: withEnd(deparseStatement(p.type, p.node)),
                does: `drop the constraint ${cmd.name}`,
                lock: `ACCESS EXCLUSIVE on ${t.name}`,
                holds: LOCKS.catalog,
              },
            ],
          },
        ],
      };
    case 'AT_SetNotNull':
      return isNew ? newTableAlter(p, ctx, t) : setNotNull(p, ctx, t, cmd.name);
    case 'AT_DropNotNull':
      return asWritten(p, ctx, guarded(columnIsNotNull(t, cmd.name), p.text), `allow NULL in ${t.name}.${cmd.name}`);
    case 'AT_ColumnDefault':
      return asWritten(
        p,
        ctx,
        guarded(columnExists(t, cmd.name), p.text),
        cmd.def ? `set the default of ${t.name}.${cmd.name}` : `drop the default of ${t.name}.${cmd.name}`,
        cmd.def ? '' : '',
      );
    case 'AT_AlterColumnType':
      return isNew ? newTableAlter(p, ctx, t) : alterType(p, ctx, t, cmd);
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity':
    case 'AT_ForceRowSecurity':
    case 'AT_NoForceRowSecurity':
      return asWritten(p, ctx, withEnd(p.text), 'row-level security on or off (the same result when run again)');
    default:
      if (isNew) return newTableAlter(p, ctx, t);
      return refuse(
        p.text,
        `gym-generate has no lock-safe rewrite for ${cmd.subtype.replace(/^AT_/, '')} on an existing table`,
        'write it by hand (drizzle-kit generate --custom) with a rollback',
      );
  }
}

// Everything on a table created in the same migration runs as drizzle-kit wrote it: the table is empty and
// nobody uses it yet. Constraints are guarded by name, the rest is naturally repeatable.
function newTableAlter(p: Parsed, ctx: RuleContext, t: TableName, constraint?: string): RuleResult {
  const sql = constraint ? guarded(`NOT ${constraintExists(t, constraint)}`, p.text) : guardedNewTableAlter(p, t);
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'as written (new table)',
        why: '',
        phase: ctx.phase,
        actions: [
          {
            sql,
            does: `${oneLine(p.text).slice(0, 60)}... on the new table`,
            lock: 'on the new, empty table',
            holds: LOCKS.catalog,
          },
        ],
      },
    ],
  };
}

function guardedNewTableAlter(p: Parsed, t: TableName): string {
  const cmd = p.node.cmds[0].AlterTableCmd;
  if (cmd.subtype === 'AT_AddColumn') {
    cmd.missing_ok = true;
    return withEnd(deparseStatement(p.type, p.node));
  }
  if (cmd.subtype === 'AT_SetNotNull') return guarded(`NOT ${columnIsNotNull(t, cmd.name)}`, p.text);
  return withEnd(p.text);
}

function defaultOf(columnDef: Node): Node | undefined {
  return (columnDef.constraints ?? []).find((c: Node) => c.Constraint.contype === 'CONSTR_DEFAULT')?.Constraint
    .raw_expr;
}

function addColumn(p: Parsed, ctx: RuleContext, t: TableName, cmd: Node): RuleResult {
  const col = cmd.def.ColumnDef;
  const name: string = col.colname;
  const constraints: Node[] = col.constraints ?? [];
  const kinds = constraints.map((c: Node) => c.Constraint.contype as string);
  const key = columnKey(t, name);
  if (kinds.includes('CONSTR_GENERATED') || kinds.includes('CONSTR_IDENTITY')) {
    return refuse(
      p.text,
      `adding the generated or identity column ${t.name}.${name} computes it for every row under ACCESS EXCLUSIVE (a table rewrite)`,
      `add it as a plain column with --backfill ${t.name}.${name}=<SQL expression>, then make it generated or identity by hand in a later migration`,
    );
  }
  if (kinds.includes('CONSTR_PRIMARY') || kinds.includes('CONSTR_UNIQUE') || kinds.includes('CONSTR_FOREIGN')) {
    return refuse(
      p.text,
      `a new column with an inline key constraint (${t.name}.${name}) builds or checks it under ACCESS EXCLUSIVE`,
      'declare the key as a table constraint in the schema, so that drizzle-kit writes it as its own statement',
    );
  }
  const typeName = names(col.typeName.names).at(-1);
  if (typeName === 'serial' || typeName === 'bigserial' || typeName === 'smallserial') {
    return refuse(
      p.text,
      `a ${typeName} column fills every existing row from its sequence under ACCESS EXCLUSIVE (a table rewrite)`,
      `add a nullable integer column with --backfill ${t.name}.${name}=<SQL expression>, then a default from a sequence by hand`,
    );
  }
  const def = defaultOf(col);
  const backfill = ctx.backfill.get(key);
  const deferred = ctx.deferredNotNull.has(key);
  cmd.missing_ok = true;
  const tq = qualified(t);
  // A constant default (or none) makes ADD COLUMN a catalog change since PostgreSQL 11.
  if ((def === undefined || isNonVolatile(def)) && !backfill) {
    if (deferred && def === undefined) {
      return refuse(
        `${p.text.replace(/;\s*$/, '')} NOT NULL;`,
        `${t.name}.${name} is NOT NULL with no default: the rows already in ${t.name} have no value for it (drizzle-kit's ADD COLUMN fails on a table with rows), and the running app does not write it`,
        `pass --backfill ${t.name}.${name}=<SQL expression> (computed from the row, e.g. a constant), or give the column a constant .default() in the schema`,
      );
    }
    return {
      steps: [
        {
          source: p.text,
          rewrite: 'as written',
          why: def
            ? `a constant default is a catalog change since PostgreSQL 11 (no rewrite): ADD COLUMN IF NOT EXISTS`
            : '',
          phase: ctx.phase,
          actions: [
            {
              sql: withEnd(deparseStatement(p.type, p.node)),
              does: `add ${t.name}.${name}${def ? ' with its constant default' : ''}`,
              lock: `ACCESS EXCLUSIVE on ${t.name}`,
              holds: LOCKS.catalog,
            },
          ],
        },
      ],
    };
  }
  // No default, or a volatile one: the column is added nullable and without it (catalog only), the default
  // is set for new rows, and the existing rows are filled in committed batches.
  const pk = singlePrimaryKey(tableIn(ctx.from, t)!);
  if (!pk) {
    return refuse(
      p.text,
      `${t.name}.${name} needs a backfill, and ${t.name} has no single-column primary key for committed batches to walk`,
      `add the column nullable without a default, fill it by hand in batches (drizzle-kit generate --custom), then make it NOT NULL`,
    );
  }
  const valueSql = backfill ?? deparse(def);
  col.constraints = constraints.filter(
    (c: Node) => c.Constraint.contype !== 'CONSTR_DEFAULT' && c.Constraint.contype !== 'CONSTR_NOTNULL',
  );
  const actions: Step['actions'] = [
    {
      sql: withEnd(deparseStatement(p.type, p.node)),
      does: `add ${t.name}.${name} nullable, without a default`,
      lock: `ACCESS EXCLUSIVE on ${t.name}`,
      holds: LOCKS.catalog,
    },
  ];
  if (def !== undefined) {
    actions.push({
      sql: guarded(
        `${columnExists(t, name)} AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${literal(qualified(t))}) AND attname = ${literal(name)} AND atthasdef)`,
        `ALTER TABLE ${tq} ALTER COLUMN ${ident(name)} SET DEFAULT ${deparse(def)}`,
      ),
      does: `default ${deparse(def)} for new rows`,
      lock: `ACCESS EXCLUSIVE on ${t.name}`,
      holds: LOCKS.catalog,
    });
  }
  actions.push(backfillAction(ctx, t, pk.name, name, valueSql));
  const source = backfill ? `--backfill ${t.name}.${name}=${backfill}` : `its default ${deparse(def)}`;
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'added nullable, then backfilled in batches',
        why: `${def !== undefined && !isNonVolatile(def) ? 'a volatile default rewrites the whole table under ACCESS EXCLUSIVE' : 'existing rows need a value'}; the column is added nullable (catalog only)${def !== undefined ? ', its default set for new rows' : ''}, and existing rows are filled from ${source} in committed batches of ~20 ms${deferred ? '; NOT NULL follows in the post-deploy step' : ''}`,
        phase: ctx.phase,
        actions,
      },
    ],
  };
}

function backfillAction(
  ctx: RuleContext,
  t: TableName,
  key: string,
  column: string,
  valueSql: string,
): Step['actions'][number] {
  return {
    sql: batchLoop({
      table: t,
      key,
      label: `backfill ${t.name}.${column}`,
      before: `IF NOT ${columnExists(t, column)} OR ${columnIsNotNull(t, column)} THEN\n  RETURN;\nEND IF;`,
      body: `UPDATE ${qualified(t)} SET ${ident(column)} = (${valueSql})\n WHERE ${ident(key)} BETWEEN v_lo AND v_hi AND ${ident(column)} IS NULL`,
      settings: ctx.settings,
    }),
    does: `fill ${t.name}.${column} where it is NULL, = ${oneLine(valueSql)}`,
    lock: `ROW EXCLUSIVE on ${t.name}, and the batch's row locks`,
    holds: LOCKS.batched,
    noTransaction: true,
  };
}

// SET NOT NULL scans the whole table under ACCESS EXCLUSIVE. A valid CHECK (col IS NOT NULL) lets it skip
// the scan (PostgreSQL 12+): the CHECK is added NOT VALID (catalog only), validated (a scan that blocks
// nobody), then SET NOT NULL is a catalog change and the CHECK is dropped.
function setNotNull(p: Parsed, ctx: RuleContext, t: TableName, column: string): RuleResult {
  const key = columnKey(t, column);
  const backfill = ctx.backfill.get(key);
  const actions: Step['actions'] = [];
  if (backfill) {
    const pk = singlePrimaryKey(tableIn(ctx.from, t)!);
    if (!pk) {
      return refuse(
        p.text,
        `${t.name} has no single-column primary key for the committed batches of --backfill ${t.name}.${column} to walk`,
        'fill the column by hand in batches (drizzle-kit generate --custom), then run db:generate again without --backfill',
      );
    }
    actions.push(backfillAction(ctx, t, pk.name, column, backfill));
  }
  actions.push(...notNullActions(t, column));
  const why =
    ctx.deferredNotNull.get(key) === 'new column without a constant default'
      ? `NOT NULL on the new column ${t.name}.${column} is enforced after the deploy (the old app does not write it${backfill ? '; rows it wrote meanwhile are backfilled first' : ''}), without a long lock: `
      : `SET NOT NULL on ${t.name}.${column} scans the whole table under ACCESS EXCLUSIVE; after the deploy (the old app may still write NULL${backfill ? '; --backfill fills those first' : ''}), and without a long lock: `;
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'NOT NULL through a validated CHECK',
        why: `${why}CHECK NOT VALID, VALIDATE (blocks nobody), SET NOT NULL (no scan), drop the CHECK`,
        phase: ctx.phase,
        actions,
      },
    ],
  };
}

/**
 * NOT NULL on an existing column without a scan under ACCESS EXCLUSIVE: CHECK (col IS NOT NULL) NOT VALID
 * (catalog only), VALIDATE (a scan that blocks nobody), SET NOT NULL (proven by the CHECK, no scan), drop the
 * CHECK. Each is guarded, so a rerun (or a column already NOT NULL) changes nothing.
 */
function notNullActions(t: TableName, column: string): Step['actions'] {
  const check = notNullCheckName(t.name, column);
  const tq = qualified(t);
  return [
    {
      sql: guarded(
        `NOT ${columnIsNotNull(t, column)} AND NOT ${constraintExists(t, check)}`,
        `ALTER TABLE ${tq} ADD CONSTRAINT ${ident(check)} CHECK (${ident(column)} IS NOT NULL) NOT VALID`,
      ),
      does: `CHECK (${column} IS NOT NULL) NOT VALID`,
      lock: `ACCESS EXCLUSIVE on ${t.name}`,
      holds: LOCKS.catalog,
    },
    {
      sql: validateConstraint(
        t,
        check,
        `${t.name}.${column} still has NULLs, so it cannot be made NOT NULL`,
        `Fill them (UPDATE ${t.name} SET ${column} = ... WHERE ${column} IS NULL), or generate again with --backfill ${t.name}.${column}=<SQL expression>, then run the migration again.`,
      ),
      does: `VALIDATE the CHECK (fails in one line, changing nothing, if a row is NULL)`,
      lock: `SHARE UPDATE EXCLUSIVE on ${t.name}`,
      holds: LOCKS.scan,
      // In one transaction with the ADD CONSTRAINT before it, the scan would run under that statement's ACCESS
      // EXCLUSIVE, held to COMMIT (at 1M rows the bench saw app queries wait 0.4-0.8 s, as long as drizzle-kit's
      // plain SET NOT NULL); and the failure path's COMMIT is refused inside a transaction block.
      noTransaction: true,
    },
    {
      sql: guarded(`NOT ${columnIsNotNull(t, column)}`, `ALTER TABLE ${tq} ALTER COLUMN ${ident(column)} SET NOT NULL`),
      does: `SET NOT NULL, proven by the valid CHECK (no scan)`,
      lock: `ACCESS EXCLUSIVE on ${t.name}`,
      holds: LOCKS.catalog,
    },
    {
      sql: `ALTER TABLE ${tq} DROP CONSTRAINT IF EXISTS ${ident(check)};`,
      does: 'drop the CHECK, now redundant',
      lock: `ACCESS EXCLUSIVE on ${t.name}`,
      holds: LOCKS.catalog,
    },
  ];
}

function dropColumn(p: Parsed, ctx: RuleContext, t: TableName, cmd: Node): RuleResult {
  const column: string = cmd.name;
  const table = tableIn(ctx.from, t)!;
  const pk = singlePrimaryKey(table);
  if (!pk || pk.name === column) {
    return refuse(
      p.text,
      `${t.name} has no single-column primary key to archive the values of ${column} by, so a rollback could not put them back`,
      'give the table a single-column primary key first, or drop the column by hand (drizzle-kit generate --custom) with a rollback',
    );
  }
  const archive = archiveName(ctx.tag, t.name, column);
  const at = `${ARCHIVE_SCHEMA}.${ident(archive)}`;
  const tq = qualified(t);
  return {
    steps: [
      {
        source: p.text,
        rewrite: 'column archived, then dropped after the deploy',
        archives: columnKey(t, column),
        why: `drizzle-kit's DROP COLUMN loses ${t.name}.${column} for good; its values are first copied (by ${pk.name}, in committed batches) to ${ARCHIVE_SCHEMA}.${archive}, which only the migrations can read, so that the rollback restores them exactly; after the deploy, since the old app may still read it`,
        phase: ctx.phase,
        actions: [
          {
            sql: `CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_SCHEMA};`,
            does: `create ${ARCHIVE_SCHEMA} if missing`,
            lock: 'none',
            holds: LOCKS.catalog,
          },
          {
            sql: lockArchiveSchema(),
            does: `only the owner may use ${ARCHIVE_SCHEMA}`,
            lock: 'none',
            holds: LOCKS.catalog,
          },
          {
            sql: guarded(
              columnExists(t, column),
              `DROP TABLE IF EXISTS ${at};\nCREATE TABLE ${at} AS SELECT ${ident(pk.name)}, ${ident(column)} FROM ${tq} WITH NO DATA;`,
            ),
            does: `create the archive ${archive} (again, when the column is still there)`,
            lock: 'none on the table',
            holds: LOCKS.catalog,
          },
          {
            sql: lockArchiveTable(archive),
            does: 'only the owner may read the archive',
            lock: 'none',
            holds: LOCKS.catalog,
          },
          {
            sql: batchLoop({
              table: t,
              key: pk.name,
              label: `archive ${t.name}.${column}`,
              before: `IF NOT ${columnExists(t, column)} THEN\n  RETURN;\nEND IF;`,
              body: `INSERT INTO ${at} SELECT ${ident(pk.name)}, ${ident(column)} FROM ${tq} WHERE ${ident(pk.name)} BETWEEN v_lo AND v_hi`,
              settings: {},
            }),
            does: `copy ${t.name}.${column} to the archive, by ${pk.name}`,
            lock: `ACCESS SHARE on ${t.name} (reads only)`,
            holds: LOCKS.batched,
            noTransaction: true,
          },
          {
            sql: guarded(
              `${columnExists(t, column)} AND to_regclass(${literal(at)}) IS NOT NULL`,
              `ALTER TABLE ${tq} DROP COLUMN ${ident(column)}`,
            ),
            does: `drop ${t.name}.${column}`,
            lock: `ACCESS EXCLUSIVE on ${t.name}`,
            holds: LOCKS.catalog,
          },
        ],
      },
    ],
  };
}

function addConstraint(p: Parsed, ctx: RuleContext, t: TableName, con: Node): RuleResult {
  const name: string = con.conname;
  const tq = qualified(t);
  switch (con.contype) {
    case 'CONSTR_FOREIGN':
    case 'CONSTR_CHECK': {
      con.skip_validation = true;
      con.initially_valid = false;
      const fk = con.contype === 'CONSTR_FOREIGN';
      const refTable = fk ? tableOf(con.pktable).name : '';
      return {
        steps: [
          {
            source: p.text,
            rewrite: 'NOT VALID, then VALIDATE',
            why: fk
              ? `adding a foreign key checks every row of ${t.name} while writes to ${t.name} and ${refTable} are blocked; NOT VALID makes it a catalog change, and VALIDATE then checks the rows under SHARE UPDATE EXCLUSIVE, which blocks no reads or writes`
              : `adding a CHECK scans ${t.name} under ACCESS EXCLUSIVE; NOT VALID makes it a catalog change (new rows are checked at once), and VALIDATE then scans under SHARE UPDATE EXCLUSIVE, which blocks no reads or writes`,
            phase: ctx.phase,
            actions: [
              {
                sql: guarded(`NOT ${constraintExists(t, name)}`, deparseStatement(p.type, p.node)),
                does: `add ${name} NOT VALID`,
                lock: fk ? `SHARE ROW EXCLUSIVE on ${t.name} and ${refTable}` : `ACCESS EXCLUSIVE on ${t.name}`,
                holds: LOCKS.catalog,
              },
              {
                sql: validateConstraint(
                  t,
                  name,
                  `rows of ${t.name} break the new constraint ${name}`,
                  fk
                    ? `Fix the rows whose ${name} points at nothing (or delete them), then run the migration again.`
                    : `Fix the rows that break it, then run the migration again.`,
                ),
                does: `VALIDATE ${name} (fails in one line, changing nothing, if a row breaks it)`,
                lock: `SHARE UPDATE EXCLUSIVE on ${t.name}`,
                holds: LOCKS.scan,
                noTransaction: true,
              },
            ],
          },
        ],
      };
    }
    case 'CONSTR_UNIQUE':
    case 'CONSTR_PRIMARY': {
      const primary = con.contype === 'CONSTR_PRIMARY';
      if (!name) {
        return refuse(p.text, 'an unnamed key constraint', 'name it in the schema');
      }
      const index: Node = {
        idxname: name,
        relation: p.node.relation,
        accessMethod: 'btree',
        indexParams: (con.keys ?? []).map((k: Node) => ({
          IndexElem: { name: k.String.sval, ordering: 'SORTBY_DEFAULT', nulls_ordering: 'SORTBY_NULLS_DEFAULT' },
        })),
        unique: true,
        nulls_not_distinct: !!con.nulls_not_distinct,
      };
      const built = concurrentIndex(p, ctx, t, name, index);
      if (!('steps' in built)) return built;
      const step = built.steps[0]!;
      step.rewrite = `${primary ? 'PRIMARY KEY' : 'UNIQUE'} through a concurrent index`;
      step.why = `adding ${primary ? 'a PRIMARY KEY' : 'a UNIQUE constraint'} builds its index while every write to ${t.name} is blocked; the unique index is built CONCURRENTLY first (blocks no reads or writes; an INVALID leftover of an interrupted run is dropped), then the constraint takes it over with USING INDEX (catalog only)`;
      // ADD PRIMARY KEY on a nullable column runs SET NOT NULL itself: a scan of the whole table under the
      // ACCESS EXCLUSIVE it takes. Each key column nullable before is made NOT NULL first, without that scan.
      const before = tableIn(ctx.from, t);
      const nullable = primary
        ? (con.keys ?? []).map((k: Node) => k.String.sval as string).filter((c: string) => !before?.columns[c]?.notNull)
        : [];
      for (const column of nullable) step.actions.push(...notNullActions(t, column));
      if (nullable.length) {
        step.why += `; ${nullable.join(', ')} ${nullable.length > 1 ? 'are' : 'is'} nullable, and PRIMARY KEY would run SET NOT NULL (a scan under ACCESS EXCLUSIVE): each is made NOT NULL first through CHECK NOT VALID, VALIDATE (blocks nobody), SET NOT NULL (no scan), drop the CHECK`;
      }
      step.actions.push({
        sql: guarded(
          `NOT ${constraintExists(t, name)}`,
          `ALTER TABLE ${tq} ADD CONSTRAINT ${ident(name)} ${primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${ident(name)}`,
        ),
        does: `${name} takes over the index`,
        lock: `ACCESS EXCLUSIVE on ${t.name}`,
        holds: LOCKS.catalog,
      });
      return built;
    }
    default:
      return refuse(
        p.text,
        `a ${String(con.contype).replace(/^CONSTR_/, '')} constraint on an existing table is built and checked under ACCESS EXCLUSIVE, and cannot be added NOT VALID`,
        'write it by hand (drizzle-kit generate --custom): for an exclusion rule, a trigger over a concurrently built index (see 0007)',
      );
  }
}

interface TypeInfo {
  name: string;
  mods: number[];
  array: boolean;
}

function typeInfo(typeName: Node): TypeInfo {
  return {
    name: names(typeName.names).at(-1)!,
    mods: (typeName.typmods ?? []).map((m: Node) => Number(m.A_Const?.ival?.ival ?? 0)),
    array: !!typeName.arrayBounds?.length,
  };
}

function parseType(type: string): TypeInfo | undefined {
  try {
    const p = parseStatement(`SELECT NULL::${type}`);
    return typeInfo(p.node.targetList[0].ResTarget.val.TypeCast.typeName);
  } catch {
    return undefined;
  }
}

/** Type changes PostgreSQL makes without a rewrite or a scan: a longer varchar, varchar to text, a wider numeric. */
export function isSafeTypeChange(from: TypeInfo, to: TypeInfo): boolean {
  if (from.array !== to.array) return false;
  const varchar = (n: string) => n === 'varchar';
  if (varchar(from.name) && to.name === 'text') return true;
  if (varchar(from.name) && varchar(to.name))
    return to.mods.length === 0 || (from.mods.length > 0 && to.mods[0]! >= from.mods[0]!);
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.mods.length === 0) return true;
    return from.mods.length > 0 && (from.mods[1] ?? 0) === (to.mods[1] ?? 0) && to.mods[0]! >= from.mods[0]!;
  }
  if (from.name === to.name && from.mods.join() === to.mods.join()) return true;
  return false;
}

function alterType(p: Parsed, ctx: RuleContext, t: TableName, cmd: Node): RuleResult {
  const column: string = cmd.name;
  const def = cmd.def.ColumnDef;
  const before = tableIn(ctx.from, t)?.columns[column];
  const from = before ? parseType(before.type) : undefined;
  const to = typeInfo(def.typeName);
  if (from && !def.raw_default && isSafeTypeChange(from, to)) {
    return asWritten(
      p,
      ctx,
      guarded(columnExists(t, column), p.text),
      `widen ${t.name}.${column} to ${deparse({ TypeName: def.typeName })}`,
      `${before!.type} to ${deparse({ TypeName: def.typeName })} needs no rewrite and no scan: a catalog change (the same result when run again)`,
    );
  }
  return refuse(
    p.text,
    `changing ${t.name}.${column} from ${before?.type ?? 'its type'} to ${deparse({ TypeName: def.typeName })} rewrites or scans the whole table under ACCESS EXCLUSIVE, and the running app still writes the old type`,
    `expand/contract: add a new column of the new type (--backfill ${t.name}.<new>=<${column} cast>), make the app write both and read the new one, then drop ${column} in a later db:generate`,
  );
}
