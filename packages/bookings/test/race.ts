import { createDb, type Database, type TrainingSession, type Transaction, trainingSessions } from '@gym/db';
import { sql } from 'drizzle-orm';
import { bookSession } from '../src/index.js';

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface RaceOptions {
  /** The test database's URL; every client gets a connection of its own on it. */
  url: string;
  /** A connection that is not in the race, which watches pg_stat_activity. */
  observer: Database;
  level: IsolationLevel;
  /**
   * How the nine competitors book. `caller`: in a transaction of their own making at `level`, opened and
   * given its snapshot (a first query) before the first booking is made, with bookSession(tx) inside it.
   * `own`: bookSession given the Database, so that it owns the transaction (the connection's default
   * isolation is `level`) and retries a serialization failure itself.
   */
  competitors: 'caller' | 'own';
  machineId: string;
  /** Ten members, one per client. */
  memberIds: string[];
  /** Ten slots on the machine, every two of which overlap: the first is the holder's. */
  slots: { scheduledStart: Date; scheduledEnd: Date }[];
}

export interface RaceOutcome {
  /** The holder's booking, made in a transaction that commits only once the others wait for it. */
  holder: PromiseSettledResult<TrainingSession>;
  competitors: PromiseSettledResult<TrainingSession>[];
  /** How many competitors pg_stat_activity showed waiting on a lock (wait_event_type 'Lock') at once. */
  waitedOnLock: number;
  /** Per competitor, how many transactions its bookSession opened (its retries plus one), for `own`. */
  attempts: number[];
}

let raceCounter = 0;

function clientUrl(url: string, applicationName: string, level: IsolationLevel): string {
  const u = new URL(url);
  u.searchParams.set('application_name', applicationName);
  u.searchParams.set('options', `-c default_transaction_isolation=${level.replace(' ', '\\ ')}`);
  return u.toString();
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Ten clients book overlapping slots of one machine, and the race is made to happen rather than hoped
 * for (issue 17, item 3): the holder books inside an open transaction; the nine others then book; the
 * holder commits only when pg_stat_activity shows all nine waiting on a lock (or all nine done without
 * waiting, which is what a broken serialisation does: the outcome then shows it). Every client has its
 * own connection, with its own application_name so that the observer finds it.
 */
export async function race(o: RaceOptions): Promise<RaceOutcome> {
  const tag = `race-${process.pid}-${++raceCounter}`;
  const names = o.memberIds.map((_, i) => `${tag}-${i}`);
  const clients = names.map((name) => createDb(clientUrl(o.url, name, o.level)));
  const attempts = clients.map(() => 0);
  try {
    // Connected, at the level asked for, before anything starts.
    for (const c of clients) {
      const { rows } = await c.execute<{ level: string }>(
        sql`SELECT current_setting('default_transaction_isolation') AS level`,
      );
      if (rows[0]?.level !== o.level) throw new Error(`client at ${rows[0]?.level}, not ${o.level}`);
    }
    clients.forEach((c, i) => {
      c.$client.on('acquire', () => {
        attempts[i]!++;
      });
    });
    const snapshots = o.memberIds.map(() => deferred());
    const holderBooked = deferred();
    const commit = deferred();
    let settled = 0;
    /** A transaction at o.level that takes its snapshot (reads training_sessions) before anything is booked. */
    const inTransaction = <T>(i: number, fn: (tx: Transaction) => Promise<T>) =>
      clients[i]!.transaction(
        async (tx) => {
          await tx.select({ n: sql`count(*)` }).from(trainingSessions);
          snapshots[i]!.resolve();
          return fn(tx);
        },
        { isolationLevel: o.level },
      );
    const book = (db: Parameters<typeof bookSession>[0], i: number) =>
      bookSession(db, { machineId: o.machineId, memberId: o.memberIds[i]!, ...o.slots[i]! });

    const holder = inTransaction(0, async (tx) => {
      if (o.competitors === 'caller') await Promise.all(snapshots.map((s) => s.promise));
      const session = await book(tx, 0);
      holderBooked.resolve();
      await commit.promise;
      return session;
    });
    const competitors = names.slice(1).map(async (_, k) => {
      const i = k + 1;
      try {
        if (o.competitors === 'own') {
          await holderBooked.promise;
          return await book(clients[i]!, i);
        }
        return await inTransaction(i, async (tx) => {
          await holderBooked.promise;
          return book(tx, i);
        });
      } finally {
        settled++;
      }
    });
    // Rejections are read below, once every client is done.
    const holderResult = Promise.allSettled([holder]);
    const competitorResults = Promise.allSettled(competitors);

    await holderBooked.promise;
    let waitedOnLock = 0;
    const giveUp = Date.now() + 60_000; // a guard, not an assertion: the outcome below tells what went wrong
    while (settled < competitors.length && Date.now() < giveUp) {
      const { rows } = await o.observer.$client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ANY($1) AND wait_event_type = 'Lock'`,
        [names.slice(1)],
      );
      waitedOnLock = Math.max(waitedOnLock, rows[0]!.n);
      if (waitedOnLock === competitors.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    commit.resolve();
    const [holderOutcome] = await holderResult;
    return { holder: holderOutcome!, competitors: await competitorResults, waitedOnLock, attempts: attempts.slice(1) };
  } finally {
    await Promise.all(clients.map((c) => c.$client.end()));
  }
}
