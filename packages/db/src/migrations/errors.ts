/**
 * A migration or rollback file that breaks the format (an unknown directive, say). Whoever reads the file
 * decides what it means for them: the migrator turns it into a usage error (exit 2), the lint into a finding.
 */
export class MigrationFileError extends Error {
  constructor(
    message: string,
    /** What to do about it, as one sentence. */
    readonly hint: string,
  ) {
    super(message);
    this.name = 'MigrationFileError';
  }
}
