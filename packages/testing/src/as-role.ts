import type pg from 'pg';

export interface RoleResult {
  rows: Record<string, unknown>[];
  rowCount: number;
  /** The SQLSTATE when PostgreSQL refused the statement. */
  error?: string;
}

/** What PostgREST sets for a request: the role, and the JWT claims that auth.uid() and auth.jwt() read. */
export interface RoleRequest {
  role: 'anon' | 'authenticated';
  claims?: Record<string, unknown>;
}

/**
 * Runs one statement the way an API request would: in a transaction, after SET LOCAL ROLE and the JWT
 * claims setting, then rolls the transaction back so that every call starts from the same data.
 */
export async function asRole(
  pool: pg.Pool,
  caller: RoleRequest,
  sql: string,
  params: unknown[] = [],
): Promise<RoleResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('request.jwt.claims', $1, true)`, [
      JSON.stringify(caller.claims ?? { role: caller.role }),
    ]);
    await client.query(`SET LOCAL ROLE ${caller.role}`);
    try {
      const r = await client.query(sql, params);
      return { rows: r.rows, rowCount: r.rowCount ?? 0, error: undefined };
    } catch (err) {
      return { rows: [], rowCount: 0, error: (err as { code?: string }).code ?? String(err) };
    }
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}
