import type { InngestFunction } from "inngest";

/** An event as Inngest stores it and hands it to functions. */
export interface InngestEvent {
  name: string;
  data: Record<string, unknown>;
  user: Record<string, unknown>;
  /** The sender's id, or the internal id when the sender gave none. */
  id: string;
  ts: number;
  v?: string;
  meta?: Record<string, unknown>;
}

/** What a sender may pass; Inngest fills in the rest. */
export interface SendableEvent {
  name: string;
  data?: Record<string, unknown>;
  user?: Record<string, unknown>;
  id?: string;
  ts?: number;
  v?: string;
}

export interface StoredEvent {
  /** The ULID the Event API answers with (`ids`); never the sender's `id`. */
  internalId: string;
  event: InngestEvent;
}

/** One HTTP call to the serve handler. */
export interface AttemptRecord {
  /** `step` for discovery, else the hashed step id that was requested. */
  stepId: string;
  attempt: number;
  status: number;
  ops?: string[];
  /** The error of a failed attempt: Inngest keeps it in the run's history. */
  error?: unknown;
  retryAfter?: string;
}

/** A memoized step outcome, exactly what is sent back in `steps`. */
export interface StepRecord {
  id: string;
  hash: string;
  op: string;
  data?: unknown;
  error?: unknown;
  /** The op's options where Inngest acts on them (step.invoke: `timeout`, `function_id`). */
  opts?: Record<string, unknown>;
}

export type RunStatus = "queued" | "running" | "waiting" | "completed" | "failed";

export interface StoredRun {
  runId: string;
  /** Inngest's function slug: `<appId>-<functionId>` (`-failure` for onFailure handlers). */
  functionId: string;
  event: InngestEvent;
  status: RunStatus;
  attempts: AttemptRecord[];
  steps: StepRecord[];
  result?: unknown;
  error?: unknown;
}

export interface SkippedRun {
  reason: "duplicate-event-id" | "idempotency" | "singleton";
  eventId: string;
  internalId: string;
  functionId?: string;
  key?: string;
}

export interface StoredState {
  events: StoredEvent[];
  runs: StoredRun[];
  /** Events (or function runs) Inngest accepted but did not act on. */
  skipped: SkippedRun[];
}

export interface InngestExecutorOptions {
  /** The app's fetch handler, e.g. `honoApp.fetch`; no port is opened. */
  handler: (req: Request) => Response | Promise<Response>;
  servePath: string;
  appId: string;
  /** The same key the served client verifies with. */
  signingKey: string;
  functions: InngestFunction.Any[];
  /** Overrides every function's `retries + 1`. */
  maxAttempts?: number;
  /** Origin the handler is called on; defaults to http://localhost. */
  origin?: string;
}

export class InngestExecutorError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(`[inngest-executor] ${message}`);
    this.name = "InngestExecutorError";
  }
}
