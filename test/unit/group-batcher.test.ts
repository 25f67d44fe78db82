import { describe, expect, it } from "vitest";
import { createGroupBatcher } from "../../src/lib/group-batcher.ts";

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe("createGroupBatcher", () => {
  it("flushes items submitted together as one group, and each caller gets its own result", async () => {
    const groups: number[][] = [];
    const submit = createGroupBatcher(
      (items: number[]) => (groups.push(items), Promise.resolve(items.map((n) => n * 10))),
      { maxItems: 10 },
    );
    expect(await Promise.all([1, 2, 3].map((n) => submit(n)))).toEqual([10, 20, 30]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it("groups what arrives during a flush into the next one, up to maxItems", async () => {
    const gate = deferred();
    const groups: number[][] = [];
    const submit = createGroupBatcher(
      async (items: number[]) => {
        groups.push(items);
        if (groups.length === 1) await gate.promise;
        return items;
      },
      { maxItems: 2 },
    );
    const first = submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((n) => submit(n));
    gate.release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(groups).toEqual([[1], [2, 3], [4]]);
  });

  it("retries one by one after a failed group, so one bad item fails alone", async () => {
    const submit = createGroupBatcher(
      (items: number[]) =>
        items.includes(2) ? Promise.reject(new Error("bad group")) : Promise.resolve(items),
      {
        maxItems: 10,
        fallback: (n: number) =>
          n === 2 ? Promise.reject(new Error("bad 2")) : Promise.resolve(n),
      },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => submit(n)));
    expect(results).toEqual([
      { status: "fulfilled", value: 1 },
      { status: "rejected", reason: new Error("bad 2") },
      { status: "fulfilled", value: 3 },
    ]);
  });

  it("rejects every item of a failed group when there is no fallback", async () => {
    const submit = createGroupBatcher(() => Promise.reject(new Error("down")), { maxItems: 10 });
    const results = await Promise.allSettled([1, 2].map((n) => submit(n)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("drops a queued item whose caller gave up: it is never flushed", async () => {
    const gate = deferred();
    const groups: number[][] = [];
    const submit = createGroupBatcher(
      async (items: number[]) => {
        groups.push(items);
        if (groups.length === 1) await gate.promise;
        return items;
      },
      { maxItems: 10 },
    );
    const first = submit(1);
    await new Promise((r) => setImmediate(r));
    const giveUp = new AbortController();
    const abandoned = submit(2, giveUp.signal);
    const kept = submit(3);
    giveUp.abort(new Error("gave up"));
    await expect(abandoned).rejects.toThrow("gave up");
    gate.release();
    expect(await Promise.all([first, kept])).toEqual([1, 3]);
    expect(groups).toEqual([[1], [3]]);
  });

  it("frees a running group's slot once all its callers gave up, and aborts its flush signal", async () => {
    const flushSignals: AbortSignal[] = [];
    const groups: number[][] = [];
    const submit = createGroupBatcher(
      (items: number[], signal: AbortSignal) => {
        groups.push(items);
        flushSignals.push(signal);
        // The first group never answers (a stalled connection).
        return groups.length === 1
          ? new Promise<number[]>(() => undefined)
          : Promise.resolve(items);
      },
      { maxItems: 10 },
    );
    const a = new AbortController();
    const b = new AbortController();
    const stuck = [submit(1, a.signal), submit(2, b.signal)];
    await new Promise((r) => setImmediate(r));
    a.abort(new Error("a gave up"));
    await expect(stuck[0]).rejects.toThrow("a gave up");
    // One caller still waits: the group keeps its slot and its flush runs on.
    expect(flushSignals[0]!.aborted).toBe(false);
    b.abort(new Error("b gave up"));
    await expect(stuck[1]).rejects.toThrow("b gave up");
    expect(flushSignals[0]!.aborted).toBe(true);
    expect(await submit(3)).toBe(3);
    expect(groups).toEqual([[1, 2], [3]]);
  });
});
