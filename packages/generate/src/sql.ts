import { loadModule, parseSync } from 'libpg-query';
import { Deparser } from 'pgsql-deparser';
import { FailedError } from './errors.js';

// libpg-query is PostgreSQL's own parser compiled to WebAssembly; it must be loaded once before parseSync.
let loaded: Promise<void> | undefined;
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

// The parser's AST is a tree of single-key objects ({ AlterTableStmt: {...} }); the rules read it loosely.
// biome-ignore lint/suspicious/noExplicitAny: the AST's node union is too wide to be useful here
export type Node = any;

/** One statement parsed by PostgreSQL's parser: its node type and body. */
export interface Parsed {
  text: string;
  type: string;
  node: Node;
}

/** Parses one statement drizzle-kit wrote. More than one statement in the text is an error. */
export function parseStatement(text: string): Parsed {
  let result: { stmts: { stmt: Node }[] };
  try {
    result = parseSync(text) as { stmts: { stmt: Node }[] };
  } catch (err) {
    throw new FailedError(
      `PostgreSQL's parser rejected a statement drizzle-kit wrote (${(err as Error).message}): ${oneLine(text)}`,
      'Report it with the statement; nothing was written.',
      { cause: err },
    );
  }
  if (result.stmts.length !== 1) {
    throw new FailedError(
      `expected one statement, found ${result.stmts.length}: ${oneLine(text)}`,
      'Report it with the statement; nothing was written.',
    );
  }
  const stmt = result.stmts[0]!.stmt;
  const type = Object.keys(stmt)[0]!;
  return { text: text.trim(), type, node: stmt[type] };
}

/** Parses a SQL expression (a --backfill value) and returns it deparsed, or throws with the parser's message. */
export function parseExpression(expr: string): Node {
  const result = parseSync(`SELECT (${expr})`) as { stmts: { stmt: Node }[] };
  if (result.stmts.length !== 1) throw new Error('not a single expression');
  return result.stmts[0]!.stmt.SelectStmt.targetList[0].ResTarget.val;
}

/** SQL text of a node (a statement, an expression, a type), on one line. */
export function deparse(node: Node): string {
  return Deparser.deparse(node, { pretty: false });
}

export function deparseStatement(type: string, body: Node): string {
  return deparse({ [type]: body });
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** An identifier, always double-quoted (drizzle-kit quotes every name; so does the generator). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A table as schema and name, as the parser gives a RangeVar; the schema defaults to public. */
export interface TableName {
  schema: string;
  name: string;
}

export function tableOf(rangeVar: Node): TableName {
  return { schema: rangeVar.schemaname ?? 'public', name: rangeVar.relname };
}

export function qualified(t: TableName): string {
  return `${ident(t.schema)}.${ident(t.name)}`;
}

/** The key drizzle-kit's snapshots use for a table, an enum or a view: "schema.name". */
export function keyOf(t: TableName): string {
  return `${t.schema}.${t.name}`;
}

/** A regclass literal for to_regclass(): the quoted, qualified name as text. */
export function regclass(t: TableName): string {
  return literal(qualified(t));
}

/** The names of a String list (type names, function names). */
export function names(list: Node[] | undefined): string[] {
  return (list ?? []).map((n: Node) => n.String?.sval ?? '');
}

// Functions a column default may call without being volatile: PostgreSQL evaluates such a default once, when
// the column is added, and stores it in the catalog (no rewrite since PostgreSQL 11). Anything else is
// treated as volatile (gen_random_uuid(), random(), clock_timestamp(), nextval() rewrite the table).
const NON_VOLATILE_FUNCTIONS = new Set(['now', 'transaction_timestamp', 'statement_timestamp', 'current_date']);

/** Whether a default expression is evaluated once (a constant, a cast of one, now()), so adding it is catalog only. */
export function isNonVolatile(expr: Node): boolean {
  if (expr == null) return true;
  const [type] = Object.keys(expr);
  const body = expr[type!];
  switch (type) {
    case 'A_Const':
      return true;
    case 'TypeCast':
      return isNonVolatile(body.arg);
    case 'SQLValueFunction':
      // CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP, CURRENT_USER...: stable within a statement.
      return true;
    case 'FuncCall': {
      const fname = names(body.funcname).at(-1)!;
      return NON_VOLATILE_FUNCTIONS.has(fname) && (body.args ?? []).every(isNonVolatile);
    }
    case 'A_ArrayExpr':
      return (body.elements ?? []).every(isNonVolatile);
    case 'A_Expr':
      return isNonVolatile(body.lexpr) && isNonVolatile(body.rexpr);
    case 'List':
      return (body.items ?? []).every(isNonVolatile);
    default:
      return false;
  }
}
