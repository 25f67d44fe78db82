export interface GroupBatcherOptions {
  /** Most items one flush takes; the rest wait for the next. */
  maxItems: number;
  /** Flushes running at once; items arriving meanwhile form the next group. */
  maxInFlight?: number;
}

/**
 * Group commit: callers submit one item and await its own result, while items that arrive
 * during a flush are flushed together next. Under load the groups grow by themselves; alone,
 * an item is flushed at once (no timer, so no added latency).
 *
 * `flush` returns one result per item, in order. If it throws, `fallback` (when given)
 * retries the items one by one, so one bad item cannot fail its neighbours; otherwise
 * every item of the group rejects with that error.
 *
 * A caller may pass a signal: when it aborts, its promise rejects with the signal's reason
 * at once, and an item still queued is dropped unflushed. Once every item of a running group
 * has given up, the signal handed to `flush` aborts and the group frees its slot without
 * waiting for `flush` (whose late results are dropped).
 */
export function createGroupBatcher<I, O>(
  flush: (items: I[], signal: AbortSignal) => Promise<O[]>,
  options: GroupBatcherOptions & { fallback?: (item: I, signal?: AbortSignal) => Promise<O> },
): (item: I, signal?: AbortSignal) => Promise<O> {
  const maxInFlight = options.maxInFlight ?? 1;
  type Entry = {
    item: I;
    signal: AbortSignal | undefined;
    resolve: (o: O) => void;
    reject: (e: unknown) => void;
  };
  const queue: Entry[] = [];
  let inFlight = 0;

  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = queue.splice(0, options.maxItems);
      inFlight += 1;
      void run(group).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };

  const run = async (group: Entry[]) => {
    const abandoned = new AbortController();
    let waiting = group.length;
    for (const g of group) {
      const gaveUp = () => (--waiting === 0 ? abandoned.abort() : undefined);
      if (g.signal?.aborted) gaveUp();
      else g.signal?.addEventListener("abort", gaveUp, { once: true });
    }
    const released = new Promise<never>((_, reject) => {
      abandoned.signal.addEventListener("abort", () => reject(abortReason(abandoned.signal)), {
        once: true,
      });
    });
    released.catch(() => undefined);
    try {
      const flushed = flush(
        group.map((g) => g.item),
        abandoned.signal,
      );
      flushed.catch(() => undefined);
      const results = await Promise.race([flushed, released]);
      if (results.length !== group.length) {
        throw new Error(
          `[batcher] flush returned ${results.length} results for ${group.length} items`,
        );
      }
      group.forEach((g, i) => g.resolve(results[i]!));
    } catch (err) {
      if (!options.fallback || group.length === 1 || abandoned.signal.aborted) {
        for (const g of group) g.reject(err);
        return;
      }
      const fallback = options.fallback;
      await Promise.all(
        group.map((g) =>
          g.signal?.aborted
            ? Promise.resolve()
            : fallback(g.item, g.signal).then(g.resolve, g.reject),
        ),
      );
    }
  };

  return (item, signal) =>
    new Promise<O>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const entry: Entry = { item, signal, resolve, reject };
      signal?.addEventListener(
        "abort",
        () => {
          const queued = queue.indexOf(entry);
          if (queued >= 0) queue.splice(queued, 1);
          reject(abortReason(signal));
        },
        { once: true },
      );
      queue.push(entry);
      // After the current turn, so items submitted together start in one group.
      if (queue.length === 1) setImmediate(pump);
    });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new Error("[batcher] the caller gave up", { cause: reason });
}
