import type { InngestFunction } from "inngest";
import { eventKeyReader, triggerCondition } from "./expressions.ts";
import { InngestExecutorError, type InngestEvent } from "./types.ts";

export const FUNCTION_FAILED_EVENT = "inngest/function.failed";
export const FUNCTION_INVOKED_EVENT = "inngest/function.invoked";

/** A function as Inngest knows it after a sync. */
export interface FunctionEntry {
  /** `<appId>-<id>`: the `fnId` query parameter and the run's functionId. */
  slug: string;
  maxAttempts: number;
  /** The function's cron expressions; Inngest starts a run per tick of each. */
  crons: string[];
  matches(event: InngestEvent): boolean;
  idempotencyKey(event: InngestEvent): string | undefined;
  /** `singleton` in mode "skip": a new run is skipped while one with this key is unfinished. */
  singletonKey(event: InngestEvent): string | undefined;
}

// These decide whether, when or with which events a run starts. A wrong model
// would let a test pass that production fails, so such functions are refused.
// concurrency, throttle, priority and timeouts only change timing here.
const UNMODELLED_OPTIONS = ["batchEvents", "debounce", "rateLimit", "cancelOn"] as const;

// SDK default (helpers/consts.ts defaultMaxRetries); attempts = retries + 1.
const DEFAULT_RETRIES = 3;

function eventMatcher(
  slug: string,
  trigger: InngestFunction.Trigger<string>,
): ((event: InngestEvent) => boolean)[] {
  if (trigger.cron !== undefined || trigger.event === undefined) return [];
  const wanted = typeof trigger.event === "string" ? trigger.event : trigger.event.name;
  // Inngest accepts a trailing wildcard such as `app/user.*`.
  const named = wanted.endsWith("*")
    ? (name: string) => name.startsWith(wanted.slice(0, -1))
    : (name: string) => name === wanted;
  const condition = trigger.if === undefined ? undefined : triggerCondition(slug, trigger.if);
  return [(event) => named(event.name) && (condition?.(event) ?? true)];
}

export function buildRegistry(
  functions: InngestFunction.Any[],
  appId: string,
  maxAttemptsOverride?: number,
): FunctionEntry[] {
  return functions.flatMap((fn) => {
    const slug = fn.id(appId);
    // `client` is protected; read it only to catch an appId that would make
    // every request 500 with "function not found".
    const clientId = (fn["client"] as { id: string }).id;
    if (clientId !== appId) {
      throw new InngestExecutorError(
        `appId "${appId}" differs from the served client's id "${clientId}"`,
      );
    }
    const opts = fn.opts;
    for (const key of UNMODELLED_OPTIONS) {
      if (opts[key] !== undefined) {
        throw new InngestExecutorError(
          `function "${slug}" sets ${key}, which this executor does not model`,
        );
      }
    }
    const triggers = (opts.triggers ?? []) as InngestFunction.Trigger<string>[];
    const matchers = triggers.flatMap((trigger) => eventMatcher(slug, trigger));
    const crons = triggers.flatMap((trigger) => (trigger.cron === undefined ? [] : [trigger.cron]));
    const main: FunctionEntry = {
      slug,
      crons,
      maxAttempts: maxAttemptsOverride ?? (opts.retries ?? DEFAULT_RETRIES) + 1,
      matches: (event) => matchers.some((matches) => matches(event)),
      idempotencyKey: eventKeyReader(slug, "idempotency", opts.idempotency),
      singletonKey: singletonKeyReader(slug, opts.singleton),
    };
    if (!opts.onFailure) return [main];
    // InngestFunction.getConfig registers onFailure as its own function
    // `<slug>-failure`, triggered by inngest/function.failed for this slug,
    // with `retries: { attempts: 1 }` (one retry, so two attempts).
    const failure: FunctionEntry = {
      slug: `${slug}-failure`,
      maxAttempts: maxAttemptsOverride ?? 2,
      crons: [],
      matches: (event) =>
        event.name === FUNCTION_FAILED_EVENT && event.data["function_id"] === slug,
      idempotencyKey: () => undefined,
      singletonKey: () => undefined,
    };
    return [main, failure];
  });
}

function singletonKeyReader(
  slug: string,
  singleton: { key?: string | undefined; mode: "skip" | "cancel" } | undefined,
): (event: InngestEvent) => string | undefined {
  if (singleton === undefined) return () => undefined;
  if (singleton.mode !== "skip") {
    throw new InngestExecutorError(
      `function "${slug}" sets singleton mode "${singleton.mode}", which this executor does not model`,
    );
  }
  // Without a key, the function as a whole is the singleton.
  if (singleton.key === undefined) return () => "";
  return eventKeyReader(slug, "singleton", singleton.key);
}
