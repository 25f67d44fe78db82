/**
 * A test stand-in for the Inngest executor: drives the real serve() handler
 * over signed HTTP (no port), memoizes steps across requests, retries, and
 * records everything Inngest would persist so tests can assert on it and scan
 * it for leaks.
 *
 * Modelled: event ids/ts, 24h de-duplication by event id, function-level
 * `idempotency` on a plain `event.<path>`, retries (`retries + 1` attempts,
 * per step), parallel steps, sleeps (end at once), waitForEvent with `match`,
 * step.sendEvent through the Event API handlers, onFailure via
 * inngest/function.failed, cron ticks on demand (`tick`, an
 * inngest/scheduled.timer run; nothing ticks by itself), `singleton` in mode "skip"
 * (plain `event.<path>` key), trigger `if` (CEL, @bufbuild/cel), dashboard reruns (`rerun`).
 * Not modelled (refused when configured, so no test passes by accident):
 * batchEvents, debounce, rateLimit, cancelOn, singleton "cancel",
 * step.invoke, step.ai, step.fetch/gateway, waitForSignal, defer.
 * Ignored (timing only): concurrency, throttle, priority, timeouts, cron
 * schedules (when a tick would come), Retry-After delays. inngest/function.finished is not emitted.
 */
export { createInngestExecutor, type InngestExecutor } from "./inngest-executor/executor.ts";
export {
  InngestExecutorError,
  type AttemptRecord,
  type InngestEvent,
  type InngestExecutorOptions,
  type SendableEvent,
  type SkippedRun,
  type StepRecord,
  type StoredEvent,
  type StoredRun,
  type StoredState,
} from "./inngest-executor/types.ts";
