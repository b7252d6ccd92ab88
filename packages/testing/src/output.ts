import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import type { CliResult } from './cli';

/** A CLI event as printed by --json. */
export type JsonEvent = { event: string; [key: string]: unknown };

/**
 * Every line of a --json run's stdout, parsed. Fails the test if any line is not a JSON object: log
 * pipelines read stdout line by line and must never meet plain text there.
 */
export function parseJsonLines(stdout: string): JsonEvent[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`--json printed a line that is not JSON: ${line}`);
    }
    expect(value, line).toBeTypeOf('object');
    expect(value, line).not.toBeNull();
    expect(Array.isArray(value), line).toBe(false);
    expect(typeof (value as JsonEvent).event, line).toBe('string');
    return value as JsonEvent;
  });
}

export function eventsOf(events: JsonEvent[], name: string): JsonEvent[] {
  return events.filter((e) => e.event === name);
}

/**
 * A failed human-mode run: exactly one line on stderr, starting "gym-migrate: error:" (or "stopped:"), and
 * the expected exit code. Returns that line for more checks.
 */
export function expectOneLineError(result: CliResult, exitCode: number, label: 'error' | 'stopped' = 'error'): string {
  const context = `exit ${result.code}, stdout: ${result.stdout}\nstderr: ${result.stderr}`;
  expect(result.code, context).toBe(exitCode);
  expect(result.stderr.endsWith('\n'), context).toBe(true);
  const lines = result.stderr.slice(0, -1).split('\n');
  expect(lines, context).toHaveLength(1);
  const line = lines[0]!;
  expect(line, context).toMatch(new RegExp(`^gym-migrate: ${label}: \\S`));
  // What is wrong, then what to do: at least one full sentence after the label.
  expect(line.length, context).toBeGreaterThan(40);
  return line;
}

/**
 * Follows the --json events of a running CLI as they are printed. `nth(pred, n)` resolves with the n-th event
 * (already seen or still to come) that matches, and rejects if the process ends first.
 */
export function followJson(child: ChildProcess) {
  const events: JsonEvent[] = [];
  let buffer = '';
  let ended = false;
  const waiters: {
    pred: (e: JsonEvent) => boolean;
    left: number;
    resolve: (e: JsonEvent) => void;
    reject: (err: Error) => void;
  }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === '') continue;
      const event = JSON.parse(line) as JsonEvent;
      events.push(event);
      for (const w of [...waiters]) {
        if (w.pred(event) && --w.left === 0) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    }
  });
  child.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0))
      w.reject(new Error(`the CLI exited before the awaited event; events: ${JSON.stringify(events)}`));
  });
  const nth = (pred: (e: JsonEvent) => boolean, n = 1): Promise<JsonEvent> => {
    const seen = events.filter(pred);
    if (seen.length >= n) return Promise.resolve(seen[n - 1]!);
    if (ended) return Promise.reject(new Error(`the CLI has exited; events: ${JSON.stringify(events)}`));
    return new Promise((resolve, reject) => waiters.push({ pred, left: n - seen.length, resolve, reject }));
  };
  return { events, nth };
}

/** Resolves once a running CLI's stdout (human mode) matches `pattern`; rejects if it exits first. */
export function stdoutMatches(child: ChildProcess, pattern: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const m = pattern.exec(text);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('close', () => reject(new Error(`the CLI exited before printing ${pattern}; it printed:\n${text}`)));
  });
}
