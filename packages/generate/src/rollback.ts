/**
 * The rollback rules: drizzle-kit's own diff back from a phase's end to its start, made repeatable and
 * lossless. Rollbacks run in one transaction (an incident tool: atomic first, lock time second), so they
 * keep drizzle-kit's statements, guarded, and put archived data back.
 */
import type { Snapshot } from './snapshot.js';
import { singlePrimaryKey } from './snapshot.js';
import {
  deparse,
  deparseStatement,
  ident,
  keyOf,
  literal,
  type Node,
  names,
  parseStatement,
  qualified,
  type TableName,
  tableOf,
} from './sql.js';
import {
  ARCHIVE_SCHEMA,
  archiveName,
  constraintExists,
  guarded,
  policyExists,
  tableExists,
  typeExists,
} from './templates.js';

export interface RollbackContext {
  /** The tag of the forward migration this rolls back (archive names start with it). */
  tag: string;
  /** The rollback's snapshots: from the migration's end back to its start. */
  from: Snapshot;
  to: Snapshot;
  /** Tables the forward migration archived (moved to gym_migrations), by "schema.table". */
  archivedTables: Set<string>;
  /** Columns the forward migration archived, by "schema.table.column". */
  archivedColumns: Set<string>;
}

const end = (sql: string) => sql.trim().replace(/;?$/, ';');

function qualifiedName(list: Node[]): [string, string] {
  const parts = names(list);
  return parts.length > 1 ? [parts[0]!, parts[1]!] : ['public', parts[0]!];
}

/** The rollback statements for one statement of drizzle-kit's reverse diff (none: nothing to do). */
export function rollbackStatements(text: string, ctx: RollbackContext): string[] {
  const p = parseStatement(text);
  const n = p.node;
  switch (p.type) {
    case 'CreateStmt': {
      const t = tableOf(n.relation);
      if (ctx.archivedTables.has(keyOf(t))) {
        const archive = archiveName(ctx.tag, t.name);
        return [
          guarded(
            `to_regclass(${literal(`${ARCHIVE_SCHEMA}.${ident(archive)}`)}) IS NOT NULL AND NOT ${tableExists(t)}`,
            `ALTER TABLE ${ARCHIVE_SCHEMA}.${ident(archive)} SET SCHEMA ${ident(t.schema)};\nALTER TABLE ${ident(t.schema)}.${ident(archive)} RENAME TO ${ident(t.name)};`,
          ),
        ];
      }
      n.if_not_exists = true;
      return [end(deparseStatement(p.type, n))];
    }
    case 'AlterTableStmt':
      return alterTable(p.text, n, ctx);
    case 'IndexStmt': {
      const t = tableOf(n.relation);
      // Indexes of an archived table came back with it.
      if (ctx.archivedTables.has(keyOf(t))) return [];
      n.if_not_exists = true;
      n.concurrent = false;
      return [end(deparseStatement(p.type, n))];
    }
    case 'DropStmt': {
      n.missing_ok = true;
      if (n.removeType === 'OBJECT_INDEX') n.concurrent = false;
      return [end(deparseStatement(p.type, n))];
    }
    case 'CreatePolicyStmt': {
      const t = tableOf(n.table);
      if (ctx.archivedTables.has(keyOf(t))) return [];
      return [guarded(`NOT ${policyExists(t, n.policy_name)}`, p.text)];
    }
    case 'CreateEnumStmt': {
      const [schema, name] = qualifiedName(n.typeName);
      return [guarded(`NOT ${typeExists(schema, name)}`, p.text)];
    }
    case 'ViewStmt':
      return [guarded(`NOT ${tableExists(tableOf(n.view))}`, p.text)];
    case 'CreateSchemaStmt':
    case 'CreateSeqStmt':
      n.if_not_exists = true;
      return [end(deparseStatement(p.type, n))];
    default:
      return [end(p.text)];
  }
}

function alterTable(text: string, n: Node, ctx: RollbackContext): string[] {
  const t = tableOf(n.relation);
  const tq = qualified(t);
  const cmd = n.cmds[0].AlterTableCmd;
  const restored = ctx.archivedTables.has(keyOf(t));
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const col = cmd.def.ColumnDef;
      const column: string = col.colname;
      cmd.missing_ok = true;
      if (!ctx.archivedColumns.has(`${keyOf(t)}.${column}`)) return [end(deparseStatement('AlterTableStmt', n))];
      // The column comes back nullable with its default, takes its archived values, then NOT NULL again.
      const notNull = (col.constraints ?? []).some((c: Node) => c.Constraint.contype === 'CONSTR_NOTNULL');
      col.constraints = (col.constraints ?? []).filter((c: Node) => c.Constraint.contype !== 'CONSTR_NOTNULL');
      const pk = singlePrimaryKey(ctx.to.tables[keyOf(t)]!)!;
      const archive = `${ARCHIVE_SCHEMA}.${ident(archiveName(ctx.tag, t.name, column))}`;
      return [
        end(deparseStatement('AlterTableStmt', n)),
        `UPDATE ${tq} AS t SET ${ident(column)} = a.${ident(column)} FROM ${archive} AS a\n WHERE t.${ident(pk.name)} = a.${ident(pk.name)} AND t.${ident(column)} IS DISTINCT FROM a.${ident(column)};`,
        ...(notNull ? [`ALTER TABLE ${tq} ALTER COLUMN ${ident(column)} SET NOT NULL;`] : []),
        `DROP TABLE IF EXISTS ${archive};`,
      ];
    }
    case 'AT_DropColumn':
      cmd.missing_ok = true;
      return [end(deparseStatement('AlterTableStmt', n))];
    case 'AT_AddConstraint': {
      const con = cmd.def.Constraint;
      // An archived table came back with its constraints, but not its foreign keys.
      if (restored && con.contype !== 'CONSTR_FOREIGN') return [];
      return [guarded(`NOT ${constraintExists(t, con.conname)}`, text)];
    }
    case 'AT_DropConstraint': {
      cmd.missing_ok = true;
      // Dropping a PRIMARY KEY leaves its columns NOT NULL: those that were nullable before get NULL back.
      const key = ctx.from.tables[keyOf(t)]?.compositePrimaryKeys?.[cmd.name];
      const target = ctx.to.tables[keyOf(t)];
      const nullable = (key?.columns ?? []).filter((c) => target?.columns[c] && !target.columns[c]!.notNull);
      return [
        end(deparseStatement('AlterTableStmt', n)),
        ...nullable.map((c) => `ALTER TABLE ${tq} ALTER COLUMN ${ident(c)} DROP NOT NULL;`),
      ];
    }
    case 'AT_SetNotNull': {
      const column: string = cmd.name;
      return [
        refuseWhen(
          `EXISTS (SELECT 1 FROM ${tq} WHERE ${ident(column)} IS NULL)`,
          `rows of ${t.name} have no ${column} now, so the rollback cannot make it NOT NULL again; nothing was changed`,
          `Fill them (UPDATE ${t.name} SET ${column} = ... WHERE ${column} IS NULL), then roll back again.`,
        ),
        end(text),
      ];
    }
    case 'AT_AlterColumnType':
      return [...narrowingCheck(t, cmd, ctx), end(text)];
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity':
      if (restored) return [];
      return [end(text)];
    default:
      return [end(text)];
  }
}

function refuseWhen(condition: string, message: string, hint: string): string {
  return `DO $gym$ BEGIN IF ${condition} THEN RAISE EXCEPTION ${literal(message)} USING ERRCODE = 'GYM06', HINT = ${literal(hint)}; END IF; END $gym$;`;
}

// A rollback that would cut values short or lose them (a varchar shorter again, an enum without a value now in
// use) is refused in one line before anything changes, with the rows to fix.
function narrowingCheck(t: TableName, cmd: Node, ctx: RollbackContext): string[] {
  const column: string = cmd.name;
  const typeName = cmd.def.ColumnDef.typeName;
  const type = names(typeName.names).at(-1)!;
  const schema = names(typeName.names).length > 1 ? names(typeName.names)[0]! : 'public';
  const tq = qualified(t);
  const mods: number[] = (typeName.typmods ?? []).map((m: Node) => Number(m.A_Const?.ival?.ival ?? 0));
  const target = deparse({ TypeName: typeName });
  if ((type === 'varchar' || type === 'bpchar') && mods.length) {
    return [
      refuseWhen(
        `EXISTS (SELECT 1 FROM ${tq} WHERE length(${ident(column)}::text) > ${mods[0]})`,
        `rows of ${t.name} have a ${column} longer than ${mods[0]} characters, which ${target} would cut; nothing was changed`,
        `Shorten them (SELECT * FROM ${t.name} WHERE length(${column}) > ${mods[0]}), then roll back again.`,
      ),
    ];
  }
  const e = ctx.to.enums[`${schema}.${type}`];
  if (e) {
    return [
      refuseWhen(
        `EXISTS (SELECT 1 FROM ${tq} WHERE ${ident(column)}::text NOT IN (${e.values.map(literal).join(', ')}))`,
        `rows of ${t.name} have a ${column} that the enum ${type} of before this migration does not have; nothing was changed`,
        `Set them to one of ${e.values.join(', ')}, then roll back again.`,
      ),
    ];
  }
  return [];
}
