/** What drizzle-kit writes between two statements of a migration, and what drizzle-orm splits a file on. */
export const STATEMENT_BREAKPOINT = '--> statement-breakpoint';

/** A file's text split exactly as drizzle-orm's readMigrationFiles splits it. */
export function chunksOf(text: string): string[] {
  return text.split(STATEMENT_BREAKPOINT);
}

/** Splits a file's text the way drizzle does and drops chunks that hold no SQL. */
export function splitStatements(chunks: string[]): string[] {
  return chunks.filter((s) => s.replace(/--[^\n]*/g, '').trim() !== '');
}
