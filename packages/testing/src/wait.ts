/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. Fails with `what`
 * after `timeoutMs`: a bound so that a broken feature fails the test instead of hanging it, never a timing
 * assertion (the bound is generous on purpose).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; stopIf?: () => string | undefined } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 25;
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    const stop = opts.stopIf?.();
    if (stop) throw new Error(`gave up waiting for ${what}: ${stop}`);
    if (Date.now() - started > timeoutMs) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
