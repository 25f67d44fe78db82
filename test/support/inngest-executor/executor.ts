import { http, HttpResponse, type RequestHandler } from "msw";
import { z } from "zod";
import { waitMatches } from "./expressions.ts";
import {
  FUNCTION_FAILED_EVENT,
  FUNCTION_INVOKED_EVENT,
  buildRegistry,
  type FunctionEntry,
} from "./functions.ts";
import { seededUlid, ulid } from "./ids.ts";
import { driveRun, type RunDeps } from "./drive.ts";
import { createLiveRun, resolveInvoke, resolveWait, type Invoke, type LiveRun } from "./run.ts";
import {
  InngestExecutorError,
  type InngestEvent,
  type InngestExecutorOptions,
  type SendableEvent,
  type StoredRun,
  type StoredState,
} from "./types.ts";

export interface InngestExecutor {
  /** Everything Inngest would persist, as it happened. */
  readonly stored: Readonly<StoredState>;
  /** msw handlers for `POST {baseUrl}/e/:key`: records events and queues the runs they trigger. */
  eventApiHandlers(baseUrl: string): RequestHandler[];
  /** Records events like the Event API, then drains; resolves with the runs driven. */
  send(events: SendableEvent | SendableEvent[]): Promise<StoredRun[]>;
  /** Drives queued runs, breadth-first, until none is left; resolves with them. */
  drain(): Promise<StoredRun[]>;
  /**
   * Dashboard Rerun: the same stored event under a new run id; event-id dedupe and
   * idempotency do not apply, nor does the singleton model (so reruns can race, as two
   * operators can make them). `together` reruns are driven at once, and so are the runs they
   * start with step.invoke; then the queue drains.
   */
  rerun(of: StoredRun, options?: { together?: number }): Promise<StoredRun[]>;
  /**
   * One tick of a cron-triggered function (`<appId>-<id>`): a run whose event is
   * `inngest/scheduled.timer` with `data.cron`, as Inngest schedules it (no other function
   * sees that event; the singleton model applies). Then drains.
   */
  tick(functionId: string): Promise<StoredRun[]>;
  /** Ends every pending waitForEvent with null (its timeout), then drains. */
  timeOutWaits(): Promise<StoredRun[]>;
  /** JSON of everything stored: events, step outputs and errors, results, run errors. */
  storedText(): string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SCHEDULED_TIMER_EVENT = "inngest/scheduled.timer";

const sendableEventSchema = z.object({
  name: z.string().min(1),
  data: z.record(z.string(), z.unknown()).nullish(),
  user: z.record(z.string(), z.unknown()).nullish(),
  id: z.string().nullish(),
  ts: z.number().int().nullish(),
  v: z.string().nullish(),
  meta: z.record(z.string(), z.unknown()).nullish(),
});
type ParsedEvent = z.infer<typeof sendableEventSchema>;

/** Fills what Inngest fills (pkg/event: NormalizeInbound, NewOSSTrackedEvent). */
function normalize(
  input: ParsedEvent,
  internalId: string,
  now: number,
  internal: boolean,
): InngestEvent {
  const data = { ...input.data };
  // Inngest strips `_inngest` from outside events so forwarded data cannot pose as an invoke.
  if (!internal) delete data["_inngest"];
  return {
    name: input.name,
    data,
    user: input.user ?? {},
    id: input.id || internalId,
    ts: input.ts || now,
    ...(input.v ? { v: input.v } : {}),
    ...(input.meta ? { meta: input.meta } : {}),
  };
}

export function createInngestExecutor(options: InngestExecutorOptions): InngestExecutor {
  const registry = buildRegistry(options.functions, options.appId, options.maxAttempts);
  const stored: StoredState = { events: [], runs: [], skipped: [] };
  const queue: LiveRun[] = [];
  const parked = new Set<LiveRun>();
  const firstSeen = new Map<string, number>();
  /** Child run of a step.invoke -> the parent waiting on it. */
  const invokedBy = new Map<StoredRun, { parent: LiveRun; invoke: Invoke }>();
  let draining = false;
  const deps: RunDeps = {
    handler: options.handler,
    signingKey: options.signingKey,
    url: (slug, stepId) => {
      const url = new URL(options.servePath, options.origin ?? "http://localhost");
      url.searchParams.set("fnId", slug);
      url.searchParams.set("stepId", stepId);
      return url.href;
    },
  };

  /** Event ids and idempotency keys count once per 24h, like Inngest. */
  function seenToday(key: string, now: number): boolean {
    const first = firstSeen.get(key);
    if (first !== undefined && now - first < DAY_MS) return true;
    firstSeen.set(key, now);
    return false;
  }

  function trigger(event: InngestEvent, internalId: string, now: number): void {
    // A duplicate id is still stored in event history but starts nothing.
    if (seenToday(`event\n${event.id}`, now)) {
      stored.skipped.push({ reason: "duplicate-event-id", eventId: event.id, internalId });
      return;
    }
    for (const run of parked) {
      for (const wait of [...run.waits.values()]) {
        if (wait.event !== event.name || !waitMatches(wait.if, run.record.event, event)) continue;
        resolveWait(run, wait, event);
        parked.delete(run);
        if (!queue.includes(run)) queue.push(run);
      }
    }
    for (const entry of registry) {
      if (!entry.matches(event)) continue;
      const key = entry.idempotencyKey(event);
      if (key !== undefined && seenToday(`idempotency\n${entry.slug}\n${key}`, now)) {
        stored.skipped.push({
          reason: "idempotency",
          eventId: event.id,
          internalId,
          functionId: entry.slug,
          key,
        });
        continue;
      }
      if (skippedBySingleton(entry, event, internalId)) continue;
      queue.push(newRun(entry, event));
    }
  }

  function newRun(entry: FunctionEntry, event: InngestEvent): LiveRun {
    const record: StoredRun = {
      runId: ulid(),
      functionId: entry.slug,
      event,
      status: "queued",
      attempts: [],
      steps: [],
    };
    stored.runs.push(record);
    return createLiveRun(record, entry);
  }

  /** Singleton "skip": records the skip while a run with the same key is unfinished. */
  function skippedBySingleton(entry: FunctionEntry, event: InngestEvent, internalId: string) {
    const key = entry.singletonKey(event);
    if (key === undefined || !hasUnfinishedRun(entry, key)) return false;
    stored.skipped.push({
      reason: "singleton",
      eventId: event.id,
      internalId,
      functionId: entry.slug,
      key,
    });
    return true;
  }

  function hasUnfinishedRun(entry: FunctionEntry, key: string): boolean {
    return stored.runs.some(
      (run) =>
        run.functionId === entry.slug &&
        run.status !== "completed" &&
        run.status !== "failed" &&
        entry.singletonKey(run.event) === key,
    );
  }

  /** Files a run that stopped; returns the child runs its step.invoke calls started. */
  function settle(run: LiveRun): LiveRun[] {
    const children: LiveRun[] = [];
    if (run.record.status === "waiting") {
      if (run.waits.size > 0) parked.add(run);
      for (const invoke of run.invokes.values()) {
        if (!invoke.child) children.push(startInvoke(run, invoke));
      }
    }
    if (run.record.status === "failed") emitFailure(run.record);
    const invoked = invokedBy.get(run.record);
    if (invoked && (run.record.status === "completed" || run.record.status === "failed")) {
      invokedBy.delete(run.record);
      resolveInvoke(invoked.parent, invoked.invoke, run.record);
      parked.delete(invoked.parent);
      if (!queue.includes(invoked.parent)) queue.push(invoked.parent);
    }
    return children;
  }

  /**
   * step.invoke: Inngest sends an `inngest/function.invoked` event carrying the payload's data
   * plus `_inngest` metadata and schedules only the named function (no trigger matching);
   * the parent resumes when that run finishes (pkg/execution/executor HandleInvokeFinish).
   */
  function startInvoke(parent: LiveRun, invoke: Invoke): LiveRun {
    const entry = registry.find((candidate) => candidate.slug === invoke.functionId);
    if (!entry) {
      throw new InngestExecutorError(
        `step "${invoke.stepName}" invokes "${invoke.functionId}", which is not served`,
      );
    }
    const now = Date.now();
    const internalId = ulid();
    const data = invoke.payload["data"];
    const v = invoke.payload["v"];
    const event = normalize(
      {
        name: FUNCTION_INVOKED_EVENT,
        data: {
          ...(typeof data === "object" && data !== null ? data : {}),
          _inngest: {
            fn_id: entry.slug,
            source_fn_id: parent.record.functionId,
            source_run_id: parent.record.runId,
            correlation_id: `${parent.record.runId}.${invoke.hash}`,
          },
        },
        ...(typeof v === "string" ? { v } : {}),
      },
      internalId,
      now,
      true,
    );
    if (entry.idempotencyKey(event) !== undefined || entry.singletonKey(event) !== undefined) {
      throw new InngestExecutorError(
        `"${entry.slug}" is invoked but sets idempotency or singleton, which invocations do not model`,
      );
    }
    stored.events.push({ internalId, event });
    const child = newRun(entry, event);
    invoke.child = child.record;
    invokedBy.set(child.record, { parent, invoke });
    queue.push(child);
    return child;
  }

  /** All events valid or none stored, as the Event API answers 400 for a bad batch. */
  function ingest(raw: unknown[], seed: string | null, internal = false): string[] {
    const now = Date.now();
    const parsed = raw.map((item, index) => {
      const result = sendableEventSchema.safeParse(item);
      if (!result.success)
        throw new InngestExecutorError(`event ${index} is invalid: ${result.error.message}`, 400);
      if (!internal && result.data.name.startsWith("inngest/")) {
        throw new InngestExecutorError(
          `event name "${result.data.name}" is reserved for internal use`,
          400,
        );
      }
      return result.data;
    });
    return parsed.map((input, index) => {
      const internalId = seededUlid(seed, index);
      const event = normalize(input, internalId, now, internal);
      stored.events.push({ internalId, event });
      trigger(event, internalId, now);
      return internalId;
    });
  }

  function emitFailure(run: StoredRun): void {
    // A failing failure handler does not announce itself again.
    if (run.event.name === FUNCTION_FAILED_EVENT) return;
    const data = {
      function_id: run.functionId,
      run_id: run.runId,
      error: run.error,
      event: run.event,
    };
    ingest([{ name: FUNCTION_FAILED_EVENT, data }], null, true);
  }

  async function drain(): Promise<StoredRun[]> {
    if (draining)
      throw new InngestExecutorError("drain() is already running; await the first call");
    draining = true;
    const driven = new Set<StoredRun>();
    try {
      for (let run = queue.shift(); run; run = queue.shift()) {
        driven.add(run.record);
        await driveRun(run, deps);
        settle(run);
      }
    } finally {
      draining = false;
    }
    return [...driven];
  }

  return {
    stored,
    storedText: () => JSON.stringify(stored),
    drain,
    async send(events) {
      ingest(Array.isArray(events) ? events : [events], null);
      return drain();
    },
    async rerun(of, options = {}) {
      const entry = registry.find((candidate) => candidate.slug === of.functionId);
      if (!entry) throw new InngestExecutorError(`no function "${of.functionId}" to rerun`);
      const runs = Array.from({ length: options.together ?? 1 }, () => newRun(entry, of.event));
      // The runs they invoke are driven together too, as Inngest runs them concurrently.
      const together: StoredRun[] = [];
      for (let batch = runs; batch.length > 0;) {
        await Promise.all(batch.map((run) => driveRun(run, deps)));
        together.push(...batch.map((run) => run.record));
        const children = batch.flatMap(settle);
        for (const child of children) queue.splice(queue.indexOf(child), 1);
        batch = children;
      }
      return [...together, ...(await drain())];
    },
    async tick(functionId) {
      const entry = registry.find((candidate) => candidate.slug === functionId);
      if (!entry?.crons[0]) {
        throw new InngestExecutorError(`no cron-triggered function "${functionId}" to tick`);
      }
      const now = Date.now();
      const internalId = ulid();
      const event = normalize(
        { name: SCHEDULED_TIMER_EVENT, data: { cron: entry.crons[0] } },
        internalId,
        now,
        true,
      );
      stored.events.push({ internalId, event });
      if (!skippedBySingleton(entry, event, internalId)) queue.push(newRun(entry, event));
      return drain();
    },
    async timeOutWaits() {
      for (const run of parked) {
        for (const wait of [...run.waits.values()]) resolveWait(run, wait, null);
        queue.push(run);
      }
      parked.clear();
      return drain();
    },
    eventApiHandlers(baseUrl) {
      const path = `${baseUrl.replace(/\/+$/, "")}/e/:key`;
      return [
        http.post(path, async ({ request }) => {
          try {
            const payload: unknown = await request.json();
            const ids = ingest(
              Array.isArray(payload) ? payload : [payload],
              request.headers.get("x-inngest-event-id-seed"),
            );
            return HttpResponse.json({ ids, status: 200 });
          } catch (err) {
            const status =
              err instanceof InngestExecutorError
                ? err.status
                : err instanceof SyntaxError
                  ? 400
                  : undefined;
            if (status !== 400) throw err;
            return HttpResponse.json(
              { ids: [], status, error: (err as Error).message },
              { status },
            );
          }
        }),
      ];
    },
  };
}
