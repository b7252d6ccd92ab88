import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgMajorFromEnv } from '@gym/local-pg';
import { startEmbedded } from '@gym/local-pg/embedded';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

// `pnpm db:migrate --embedded` must work wherever the repository is cloned, /root included: run as root,
// the server runs as the postgres user, which cannot enter a mode-700 folder.
describe('the embedded PostgreSQL', () => {
  it('starts for a data folder inside a directory only its owner may enter, and keeps its data across restarts', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-private-'));
    fs.chmodSync(home, 0o700);
    const dataDir = path.join(home, 'repo', '.data', 'embedded-pg');
    try {
      for (const round of [1, 2]) {
        const server = await startEmbedded({ dataDir, fast: true, version: pgMajorFromEnv() });
        try {
          await server.ensureDatabase('gym');
          const client = new pg.Client({ connectionString: server.url('gym') });
          await client.connect();
          try {
            if (round === 1) await client.query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
            const { rows } = await client.query('SELECT n FROM kept');
            expect(rows).toEqual([{ n: 42 }]);
          } finally {
            await client.end();
          }
        } finally {
          await server.stop();
        }
      }
      expect(fs.existsSync(dataDir)).toBe(true);
    } finally {
      const real = fs.existsSync(dataDir) ? fs.realpathSync(dataDir) : undefined;
      fs.rmSync(home, { recursive: true, force: true });
      if (real && !real.startsWith(home)) fs.rmSync(path.dirname(real), { recursive: true, force: true });
    }
  });
});
