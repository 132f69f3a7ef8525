/**
 * Resolves when `waiters` is woken (each waiter is called by whoever saw a change) or `signal` aborts, whichever
 * comes first; never rejects. The links' `changed(signal)` is this, behind their own "already changed" check.
 */
export function nextWake(waiters: Set<() => void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      waiters.delete(done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    waiters.add(done);
    signal.addEventListener('abort', done, { once: true });
  });
}
