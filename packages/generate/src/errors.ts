/**
 * Exit codes of gym-generate, a contract with scripts and CI: 0 written (or nothing to do), 1 drizzle-kit or
 * the generator failed, 2 usage or configuration error, 3 refused (a statement it cannot make safe; nothing
 * was written). Only cli.ts turns these errors into text and an exit code.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class GenerateError extends Error {
  abstract readonly exitCode: ExitCode;
  abstract readonly kind: string;
  /** What to do about it, as one sentence. */
  readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.hint = hint;
  }
}

/** Bad arguments or a drizzle-kit config it cannot use: nothing was written. */
export class UsageError extends GenerateError {
  readonly exitCode = ExitCode.usage;
  readonly kind = 'usage';
}

/** drizzle-kit, the schema or the parser failed: nothing was written. */
export class FailedError extends GenerateError {
  readonly exitCode = ExitCode.failed;
  readonly kind = 'failed';
}

/** One statement drizzle-kit wrote that the generator cannot make safe, and what to do instead. */
export interface Refusal {
  /** drizzle-kit's statement (or the schema change, for a possible rename). */
  statement: string;
  /** What is refused and why, in one sentence. */
  why: string;
  /** The expand/contract recipe, or the option that makes it safe. */
  recipe: string;
}

/** At least one statement cannot be made safe: nothing was written. */
export class RefusedError extends GenerateError {
  readonly exitCode = ExitCode.refused;
  readonly kind = 'refused';
  constructor(readonly refusals: Refusal[]) {
    super(
      `refused ${refusals.length} statement${refusals.length === 1 ? '' : 's'} that cannot be made safe under traffic; nothing was written`,
      'Follow the recipe on each line (or the option it names), then run db:generate again.',
    );
  }
}
