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
 */
export function createGroupBatcher<I, O>(
  flush: (items: I[]) => Promise<O[]>,
  options: GroupBatcherOptions & { fallback?: (item: I) => Promise<O> },
): (item: I) => Promise<O> {
  const maxInFlight = options.maxInFlight ?? 1;
  const queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
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

  const run = async (group: typeof queue) => {
    try {
      const results = await flush(group.map((g) => g.item));
      if (results.length !== group.length) {
        throw new Error(
          `[batcher] flush returned ${results.length} results for ${group.length} items`,
        );
      }
      group.forEach((g, i) => g.resolve(results[i]!));
    } catch (err) {
      if (!options.fallback || group.length === 1) {
        for (const g of group) g.reject(err);
        return;
      }
      const fallback = options.fallback;
      await Promise.all(group.map((g) => fallback(g.item).then(g.resolve, g.reject)));
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // After the current turn, so items submitted together start in one group.
      if (queue.length === 1) setImmediate(pump);
    });
}
