import { startTestServer } from '@gym/testing/server';
import { describe, expect, inject, it } from 'vitest';
import { runHarnessFixture } from './support/fixture-suite';

// Issue 20. Collected only where the harness is told to use containers (GYM_TEST_SERVER=testcontainers,
// .ci/containers.sh): it needs a container runtime that answers, which the other runs do not have.
const missing = 'localhost/gym-db/no-such-image:0';

describe('a container runtime answers, but the image cannot start', () => {
  it('this run itself got its server from a container', () => {
    expect(inject('serverKind')).toBe('testcontainers');
  });

  it('with no way pinned (a Docker user): the run stops with one error naming the image and GYM_PG_IMAGE, and never falls back to the embedded server', () => {
    const r = runHarnessFixture({ GYM_PG_IMAGE: missing, GYM_TEST_SERVER: undefined, TEST_DATABASE_URL: undefined });
    expect(r.output).toMatch(
      new RegExp(
        `TestServerError: a container runtime answers, but the image ${missing} could not start \\(.+\\): set GYM_PG_IMAGE to a PostgreSQL \\d+ image it can run, or GYM_TEST_SERVER=embedded to use the embedded server`,
      ),
    );
    expect(r.output).not.toMatch(/using embedded PostgreSQL|server: embedded|reaches the harness server/);
    expect(r.status, r.output).toBe(1);
  });

  it('with GYM_TEST_SERVER=testcontainers: the same error, from startTestServer itself', async () => {
    const lines: string[] = [];
    const env = { ...process.env, GYM_PG_IMAGE: missing, GYM_TEST_SERVER: 'testcontainers', TEST_DATABASE_URL: '' };
    await expect(startTestServer((l) => lines.push(l), env)).rejects.toThrow(
      new RegExp(`^a container runtime answers, but the image ${missing} could not start \\(.+\\): set GYM_PG_IMAGE`),
    );
    expect(lines).toEqual([]);
  });
});
