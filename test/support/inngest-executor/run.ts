import type { FunctionEntry } from "./functions.ts";
import {
  InngestExecutorError,
  type AttemptRecord,
  type InngestEvent,
  type StoredRun,
} from "./types.ts";

/** One queue item: `step` (discover) or a hashed step id (run that step). */
export interface WorkItem {
  stepId: string;
  attempt: number;
}

export interface Wait {
  hash: string;
  stepName: string;
  event: string;
  if?: string;
}

/** A step.invoke awaiting its child run (`InvokeFunction` op). */
export interface Invoke {
  hash: string;
  stepName: string;
  /** The target's slug, `<appId>-<functionId>`. */
  functionId: string;
  /** `{ data, v?, meta? }`: the invocation event's payload. */
  payload: Record<string, unknown>;
  /** The op's opts as the SDK sent them (`function_id`, `payload`, `timeout`). */
  opts: Record<string, unknown>;
  /** Set once the child run is started. */
  child?: StoredRun;
}

/** A run's live state next to the record a test reads. */
export interface LiveRun {
  record: StoredRun;
  entry: FunctionEntry;
  /** hash(step id) -> `{data}` | `{error}` | null, sent back as `steps`. */
  memo: Record<string, unknown>;
  /** Hashes in completion order, sent as `ctx.stack.stack`. */
  stack: string[];
  disableImmediateExecution: boolean;
  todo: WorkItem[];
  waits: Map<string, Wait>;
  invokes: Map<string, Invoke>;
}

export interface Op {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  userland?: { id?: string };
  opts?: Record<string, unknown>;
  data?: unknown;
  error?: unknown;
}

export function createLiveRun(record: StoredRun, entry: FunctionEntry): LiveRun {
  const run = {
    record,
    entry,
    memo: {},
    stack: [],
    disableImmediateExecution: false,
    todo: [],
    waits: new Map(),
    invokes: new Map(),
  };
  queueDiscovery(run);
  return run;
}

function queueDiscovery(run: LiveRun): void {
  if (!run.todo.some((item) => item.stepId === "step"))
    run.todo.push({ stepId: "step", attempt: 0 });
}

function stepName(op: Op): string {
  return op.userland?.id ?? op.displayName ?? op.name ?? op.id;
}

function memoize(
  run: LiveRun,
  hash: string,
  op: string,
  name: string,
  value: { data: unknown } | { error: unknown } | null,
  opts?: Record<string, unknown>,
): void {
  run.memo[hash] = value;
  run.stack.push(hash);
  run.record.steps.push({
    id: name,
    hash,
    op,
    ...(value ?? { data: null }),
    ...(opts ? { opts } : {}),
  });
}

export function finish(run: LiveRun, status: "completed" | "failed", outcome: unknown): void {
  run.record.status = status;
  if (status === "completed") run.record.result = outcome;
  else run.record.error = outcome;
  run.todo.length = 0;
  run.waits.clear();
  run.invokes.clear();
}

/** Memoizes a waitForEvent outcome (the event, or null on timeout) and queues discovery. */
export function resolveWait(run: LiveRun, wait: Wait, event: InngestEvent | null): void {
  run.waits.delete(wait.hash);
  memoize(run, wait.hash, "WaitForEvent", wait.stepName, { data: event });
  run.record.status = "queued";
  queueDiscovery(run);
}

/**
 * Resumes a step.invoke with its child's outcome: `{ data: result }`, or `{ error }` holding
 * the child's error (name, message), which the SDK throws at the step as a StepError.
 */
export function resolveInvoke(run: LiveRun, invoke: Invoke, child: StoredRun): void {
  run.invokes.delete(invoke.hash);
  memoize(
    run,
    invoke.hash,
    "InvokeFunction",
    invoke.stepName,
    child.status === "completed" ? { data: child.result ?? null } : { error: child.error },
    invoke.opts,
  );
  run.record.status = "queued";
  queueDiscovery(run);
}

export function applyOps(run: LiveRun, item: WorkItem, attempt: AttemptRecord, ops: Op[]): void {
  attempt.ops = ops.map((op) => op.op);
  let progressed = false;
  for (const op of ops) {
    switch (op.op) {
      case "StepRun":
        memoize(run, op.id, op.op, stepName(op), { data: op.data ?? null });
        progressed = true;
        break;
      case "Sleep": // sleeps end at once: the executor does not wait
        memoize(run, op.id, op.op, stepName(op), null);
        progressed = true;
        break;
      case "StepFailed":
        memoize(run, op.id, op.op, stepName(op), { error: op.error });
        progressed = true;
        break;
      case "StepError":
        attempt.error = op.error;
        if (item.attempt + 1 < run.entry.maxAttempts) {
          run.todo.unshift({ stepId: item.stepId, attempt: item.attempt + 1 });
        } else {
          // v4 already answers StepFailed on the last attempt (it reads
          // ctx.max_attempts); Inngest memoizes the error either way.
          memoize(run, op.id, op.op, stepName(op), { error: op.error });
          progressed = true;
        }
        break;
      case "StepPlanned":
        // Several planned ops mean parallel steps: Inngest then runs each by
        // its hash and stops immediate execution for the rest of the run.
        if (ops.length > 1) run.disableImmediateExecution = true;
        if (!run.todo.some((queued) => queued.stepId === op.id))
          run.todo.push({ stepId: op.id, attempt: 0 });
        break;
      case "WaitForEvent":
        run.waits.set(op.id, {
          hash: op.id,
          stepName: stepName(op),
          event: op.name ?? "",
          ...(typeof op.opts?.["if"] === "string" ? { if: op.opts["if"] } : {}),
        });
        break;
      case "InvokeFunction": {
        const functionId = op.opts?.["function_id"];
        const payload = op.opts?.["payload"];
        if (typeof functionId !== "string" || typeof payload !== "object" || payload === null) {
          throw new InngestExecutorError(
            `InvokeFunction "${stepName(op)}" has no function_id/payload`,
          );
        }
        run.invokes.set(op.id, {
          hash: op.id,
          stepName: stepName(op),
          functionId,
          payload: payload as Record<string, unknown>,
          opts: op.opts ?? {},
        });
        break;
      }
      case "RunComplete": // emitted instead of a 200 when lazy ops ride along
        finish(run, "completed", op.data ?? null);
        return;
      default:
        throw new InngestExecutorError(
          `op ${op.op} (step "${stepName(op)}") is not modelled by this executor`,
        );
    }
  }
  if (progressed) queueDiscovery(run);
}
