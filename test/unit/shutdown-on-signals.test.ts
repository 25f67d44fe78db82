import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { shutdownOnSignals } from "../../src/lifecycle/shutdown-on-signals.ts";
import { collectingLogger } from "../support/collecting-logger.ts";

function setup() {
  const signals = new EventEmitter();
  const exit = vi.fn<(code: number) => void>();
  const { logger, records } = collectingLogger();
  const shutdown = shutdownOnSignals(logger, exit, signals);
  let finish: (err?: Error) => void = () => undefined;
  const stop = vi.fn(
    () =>
      new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve()))),
  );
  const messages = () => records().map((r) => r.msg);
  return { signals, exit, shutdown, stop, finish: (err?: Error) => finish(err), messages };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("shutdownOnSignals", () => {
  it("stops once however many signals arrive, and exits 0 only after the stop finished", async () => {
    const t = setup();
    t.shutdown.whenStarted(t.stop);
    t.signals.emit("SIGINT");
    t.signals.emit("SIGINT");
    t.signals.emit("SIGTERM");
    await settle();
    expect(t.stop).toHaveBeenCalledTimes(1);
    expect(t.exit).not.toHaveBeenCalled();

    t.finish();
    await settle();
    expect(t.exit.mock.calls).toEqual([[0]]);
    expect(t.messages()).toEqual([
      "[service] stopping",
      "[service] already stopping; cleanup continues",
      "[service] already stopping; cleanup continues",
      "[service] stopped",
    ]);
  });

  it("a signal during start-up stops the service as soon as it is up", async () => {
    const t = setup();
    t.signals.emit("SIGTERM");
    expect(t.stop).not.toHaveBeenCalled();
    t.shutdown.whenStarted(t.stop);
    expect(t.stop).toHaveBeenCalledTimes(1);
    t.finish();
    await settle();
    expect(t.exit.mock.calls).toEqual([[0]]);
  });

  it("exits 1 when stopping fails", async () => {
    const t = setup();
    t.shutdown.whenStarted(t.stop);
    t.signals.emit("SIGTERM");
    t.finish(new Error("pool would not close"));
    await settle();
    expect(t.exit.mock.calls).toEqual([[1]]);
    expect(t.messages()).toContain("[service] unclean stop");
  });
});
