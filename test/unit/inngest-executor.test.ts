import { Hono } from "hono";
import { Inngest, NonRetriableError, RetryAfterError, cron, invoke } from "inngest";
import { serve } from "inngest/hono";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createInngestExecutor, type StoredRun } from "../support/inngest-executor.ts";
import { useMsw } from "../support/msw.ts";

const APP_ID = "exec-test";
const SIGNING_KEY = `signkey-test-${"a1".repeat(32)}`;
const INNGEST_URL = "http://inngest.test";

// Collecting sink: quiet test output, and lets a test assert what the SDK logged.
const logs: { level: string; args: unknown[] }[] = [];
const sink =
  (level: string) =>
  (...args: unknown[]) =>
    void logs.push({ level, args });
const logger = {
  info: sink("info"),
  warn: sink("warn"),
  error: sink("error"),
  debug: sink("debug"),
};

const inngest = new Inngest({
  id: APP_ID,
  signingKey: SIGNING_KEY,
  eventKey: "test-event-key",
  isDev: false,
  // Both the event API (`/e/<key>`) and the REST API resolve against this,
  // so every call the SDK makes lands on msw.
  baseUrl: INNGEST_URL,
  logger,
});

// What ran inside step bodies, per test: memoization means each body runs once.
let bodyRuns: Record<string, number> = {};
const ran = (name: string) => (bodyRuns[name] = (bodyRuns[name] ?? 0) + 1);

const multiStep = inngest.createFunction(
  { id: "multi-step", triggers: [{ event: "test/multi.requested" }] },
  async ({ event, step }) => {
    ran("handler");
    const user = await step.run(
      "load-user",
      () => (ran("load-user"), { id: event.data["userId"] }),
    );
    const [a, b] = await Promise.all([
      step.run("score-a", () => (ran("score-a"), 2)),
      step.run("score-b", () => (ran("score-b"), 3)),
    ]);
    await step.sleep("cool-down", "1h");
    return { user, score: a * b };
  },
);

const flaky = inngest.createFunction(
  { id: "flaky", triggers: [{ event: "test/flaky.requested" }] },
  async ({ step, attempt }) => {
    const reply = await step.run("call-api", () => {
      if (ran("call-api") === 1) throw new Error(`transient failure on attempt ${attempt}`);
      return { status: "ok", attempt };
    });
    return { reply };
  },
);

const alwaysFails = inngest.createFunction(
  { id: "always-fails", triggers: [{ event: "test/doomed.requested" }], retries: 1 },
  async ({ step }) => {
    await step.run("doomed-call", () => {
      throw new Error(`still down (call ${ran("doomed-call")})`);
    });
  },
);

const closesAccount = inngest.createFunction(
  {
    id: "closes-account",
    triggers: [{ event: "test/account.close" }],
    retries: 5,
    onFailure: async ({ error }) => ({ notified: error.message }),
  },
  async () => {
    ran("closes-account");
    throw new NonRetriableError("account already closed");
  },
);

const rateLimited = inngest.createFunction(
  { id: "rate-limited", triggers: [{ event: "test/rate.limited" }] },
  async ({ attempt }) => {
    if (attempt === 0) throw new RetryAfterError("upstream said slow down", "30s");
    return { attempt };
  },
);

const announces = inngest.createFunction(
  { id: "announces", triggers: [{ event: "test/order.placed" }] },
  async ({ event, step }) => {
    await step.sendEvent("notify-customer", {
      name: "test/customer.notify",
      data: { orderId: event.data["orderId"] },
    });
    return "announced";
  },
);

const notifies = inngest.createFunction(
  { id: "notifies", triggers: [{ event: "test/customer.notify" }] },
  async ({ event }) => ({ notified: event.data["orderId"] }),
);

const chargesOnce = inngest.createFunction(
  // One charge per order even if several events name it.
  {
    id: "charges-once",
    triggers: [{ event: "test/charge.requested" }],
    idempotency: "event.data.orderId",
  },
  async ({ event }) => ({ charged: event.data["orderId"] }),
);

const awaitsApproval = inngest.createFunction(
  { id: "awaits-approval", triggers: [{ event: "test/approval.requested" }] },
  async ({ step }) => {
    const approval = await step.waitForEvent("wait-for-approval", {
      event: "test/approval.given",
      match: "data.requestId",
      timeout: "1d",
    });
    return { approvedBy: approval?.data["by"] ?? null };
  },
);

const sweeps = inngest.createFunction(
  { id: "sweeps", triggers: [cron("*/5 * * * *")], singleton: { mode: "skip" } },
  async ({ event, step }) => {
    const swept = await step.run("sweep", () => ran("sweep"));
    return { trigger: event.name, cron: "cron" in event.data ? event.data.cron : null, swept };
  },
);

const sweepsSlowly = inngest.createFunction(
  { id: "sweeps-slowly", triggers: [cron("0 * * * *")], singleton: { mode: "skip" } },
  async ({ step }) => {
    const go = await step.waitForEvent("wait-for-go", { event: "test/sweep.go", timeout: "1h" });
    return { went: go !== null };
  },
);

// Invoke-only: started by step.invoke, never by an event a producer sends.
const doubles = inngest.createFunction(
  { id: "doubles", triggers: [invoke(z.object({ n: z.number() }))] },
  async ({ event, step }) => step.run("double", () => (ran("double"), event.data.n * 2)),
);

const invokesDoubles = inngest.createFunction(
  { id: "invokes-doubles", triggers: [{ event: "test/double.requested" }] },
  async ({ event, step }) => {
    const n = Number(event.data["n"]);
    const doubled = await step.invoke("call-doubles", { function: doubles, data: { n } });
    return { doubled, after: await step.run("after", () => (ran("after"), "done")) };
  },
);

const failsWhenInvoked = inngest.createFunction(
  { id: "fails-when-invoked", triggers: [invoke(z.object({}))], retries: 1 },
  async ({ step }) => {
    await step.run("doomed-child", () => {
      throw new Error(`child still down (call ${ran("doomed-child")})`);
    });
  },
);

const invokesDoomed = inngest.createFunction(
  { id: "invokes-doomed", triggers: [{ event: "test/doomed-child.requested" }], retries: 3 },
  async ({ step }) => {
    ran("invokes-doomed");
    await step.invoke("call-doomed", { function: failsWhenInvoked, data: {} });
    return "unreachable";
  },
);

const functions = [
  doubles,
  invokesDoubles,
  failsWhenInvoked,
  invokesDoomed,
  sweeps,
  sweepsSlowly,
  multiStep,
  flaky,
  alwaysFails,
  closesAccount,
  rateLimited,
  announces,
  notifies,
  chargesOnce,
  awaitsApproval,
];
const app = new Hono();
const inngestHandler = serve({ client: inngest, functions });
app.on(["GET", "PUT", "POST"], "/api/inngest", (c) => inngestHandler(c));

const server = useMsw();

function newExecutor(signingKey = SIGNING_KEY) {
  const exec = createInngestExecutor({
    handler: (req) => app.fetch(req),
    servePath: "/api/inngest",
    appId: APP_ID,
    signingKey,
    functions,
  });
  server.use(...exec.eventApiHandlers(INNGEST_URL));
  return exec;
}

function only(runs: StoredRun[], functionId: string): StoredRun {
  const matching = runs.filter((run) => run.functionId === `${APP_ID}-${functionId}`);
  expect(matching).toHaveLength(1);
  return matching[0]!;
}

beforeEach(() => {
  bodyRuns = {};
  logs.length = 0;
});

describe("inngest executor", () => {
  it("memoizes steps across requests: every step body runs once while the handler is re-entered", async () => {
    const exec = newExecutor();
    const run = only(
      await exec.send({ name: "test/multi.requested", data: { userId: "u-1" } }),
      "multi-step",
    );

    expect(run.status).toBe("completed");
    expect(run.result).toEqual({ user: { id: "u-1" }, score: 6 });
    expect(bodyRuns).toMatchObject({ "load-user": 1, "score-a": 1, "score-b": 1 });
    // One HTTP request per handler entry; the handler saw them all.
    expect(bodyRuns["handler"]).toBe(run.attempts.length);
    expect(
      run.attempts.map((a) => [a.stepId === "step" ? "discover" : "run", a.status, a.ops]),
    ).toEqual([
      ["discover", 206, ["StepRun"]],
      ["discover", 206, ["StepPlanned", "StepPlanned"]],
      ["run", 206, ["StepRun"]],
      ["run", 206, ["StepRun"]],
      ["discover", 206, ["Sleep"]],
      ["discover", 200, undefined],
    ]);
    expect(run.steps.map((s) => [s.id, s.op, s.data])).toEqual([
      ["load-user", "StepRun", { id: "u-1" }],
      ["score-a", "StepRun", 2],
      ["score-b", "StepRun", 3],
      ["cool-down", "Sleep", null],
    ]);
  });

  it("retries a step that throws once, with the attempt counter increasing, then succeeds", async () => {
    const exec = newExecutor();
    const run = only(await exec.send({ name: "test/flaky.requested", data: {} }), "flaky");

    expect(run.status).toBe("completed");
    expect(run.result).toEqual({ reply: { status: "ok", attempt: 1 } });
    expect(bodyRuns["call-api"]).toBe(2);
    expect(run.attempts).toMatchObject([
      {
        attempt: 0,
        status: 206,
        ops: ["StepError"],
        error: { message: "transient failure on attempt 0" },
      },
      { attempt: 1, status: 206, ops: ["StepRun"] },
      { attempt: 0, status: 200 },
    ]);
  });

  it("runs step.invoke as a child run of the named function and resumes the parent with its result", async () => {
    const exec = newExecutor();
    const runs = await exec.send({ name: "test/double.requested", data: { n: 21 } });
    const parent = only(runs, "invokes-doubles");
    const child = only(runs, "doubles");

    expect(parent).toMatchObject({ status: "completed", result: { doubled: 42, after: "done" } });
    expect(parent.steps).toMatchObject([
      { id: "call-doubles", op: "InvokeFunction", data: 42 },
      { id: "after", op: "StepRun", data: "done" },
    ]);
    expect(parent.attempts[0]).toMatchObject({ status: 206, ops: ["InvokeFunction"] });
    // The child's trigger is the invocation event: payload data plus Inngest's metadata.
    expect(child).toMatchObject({ status: "completed", result: 42 });
    expect(child.event).toMatchObject({
      name: "inngest/function.invoked",
      data: {
        n: 21,
        _inngest: {
          fn_id: `${APP_ID}-doubles`,
          source_fn_id: `${APP_ID}-invokes-doubles`,
          source_run_id: parent.runId,
        },
      },
    });
    expect(exec.stored.events.map((e) => e.event.name)).toContain("inngest/function.invoked");
    expect(bodyRuns).toMatchObject({ double: 1, after: 1 });
  });

  it("fails the invoking step with the child's error once the child exhausts its retries; the parent does not retry it", async () => {
    const exec = newExecutor();
    const runs = await exec.send({ name: "test/doomed-child.requested", data: {} });
    const parent = only(runs, "invokes-doomed");
    const child = only(runs, "fails-when-invoked");

    expect(child).toMatchObject({
      status: "failed",
      error: { name: "Error", message: "child still down (call 2)" },
    });
    expect(bodyRuns["doomed-child"]).toBe(2);
    expect(parent.steps).toMatchObject([
      { id: "call-doomed", op: "InvokeFunction", error: { message: "child still down (call 2)" } },
    ]);
    // A failed step rethrown by the handler is final for the SDK: one 400, no retry, no re-invoke.
    expect(parent.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [0, 206],
      [0, 400],
    ]);
    expect(parent).toMatchObject({
      status: "failed",
      error: { name: "Error", message: "child still down (call 2)" },
    });
    expect(runs.filter((r) => r.functionId.endsWith("fails-when-invoked"))).toHaveLength(1);
  });

  it("memoizes the error of a step that exhausts its retries (retries: 1 = 2 attempts) and fails the run", async () => {
    const exec = newExecutor();
    const run = only(await exec.send({ name: "test/doomed.requested", data: {} }), "always-fails");

    expect(bodyRuns["doomed-call"]).toBe(2);
    // The SDK itself reports the last attempt as StepFailed because ctx.max_attempts says it is the last.
    expect(run.attempts).toMatchObject([
      { attempt: 0, status: 206, ops: ["StepError"], error: { message: "still down (call 1)" } },
      { attempt: 1, status: 206, ops: ["StepFailed"] },
      { attempt: 0, status: 400 },
    ]);
    expect(run.steps).toMatchObject([
      { id: "doomed-call", op: "StepFailed", error: { message: "still down (call 2)" } },
    ]);
    expect(run).toMatchObject({ status: "failed", error: { message: "still down (call 2)" } });
  });

  it("fails a NonRetriableError at once (despite retries: 5) and runs onFailure with the error", async () => {
    const exec = newExecutor();
    const runs = await exec.send({ name: "test/account.close", data: {} });

    const run = only(runs, "closes-account");
    expect(run.status).toBe("failed");
    expect(run.attempts).toEqual([expect.objectContaining({ attempt: 0, status: 400 })]);
    expect(run.error).toMatchObject({
      name: "NonRetriableError",
      message: "account already closed",
    });
    expect(bodyRuns["closes-account"]).toBe(1);

    const failure = only(runs, "closes-account-failure");
    expect(failure.event).toMatchObject({
      name: "inngest/function.failed",
      data: { function_id: `${APP_ID}-closes-account`, run_id: run.runId },
    });
    expect(failure).toMatchObject({
      status: "completed",
      result: { notified: "account already closed" },
    });
  });

  it("records Retry-After of a RetryAfterError without waiting for it", async () => {
    const exec = newExecutor();
    const run = only(await exec.send({ name: "test/rate.limited", data: {} }), "rate-limited");

    expect(run.attempts).toMatchObject([
      { attempt: 0, status: 500, retryAfter: "30", error: { name: "RetryAfterError" } },
      { attempt: 1, status: 200 },
    ]);
    expect(run).toMatchObject({ status: "completed", result: { attempt: 1 } });
  });

  it("routes step.sendEvent through the Event API, records the event and runs the function it triggers", async () => {
    const exec = newExecutor();
    const runs = await exec.send({ name: "test/order.placed", data: { orderId: "o-7" } });

    const announced = only(runs, "announces");
    const [sent] = announced.steps;
    expect(sent).toMatchObject({
      id: "notify-customer",
      op: "StepRun",
      data: { ids: [expect.any(String)] },
    });
    const sentId = (sent!.data as { ids: string[] }).ids[0];
    const stored = exec.stored.events.find((e) => e.internalId === sentId);
    expect(stored?.event).toEqual({
      name: "test/customer.notify",
      data: { orderId: "o-7" },
      user: {},
      id: sentId, // no id from the sender: Inngest uses the internal one
      ts: expect.any(Number),
    });

    const notified = only(runs, "notifies");
    expect(notified.event.id).toBe(sentId);
    expect(notified).toMatchObject({ status: "completed", result: { notified: "o-7" } });
  });

  it("is rejected by the handler when signing with another key, so signatures are really checked", async () => {
    const exec = newExecutor(`signkey-test-${"b2".repeat(32)}`);

    await expect(
      exec.send({ name: "test/multi.requested", data: { userId: "u-1" } }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(bodyRuns).toEqual({});
    expect(
      logs.some((l) => l.level === "error" && l.args.includes("Signature validation failed")),
    ).toBe(true);
  });

  it("stores a duplicate event id but starts no run for it", async () => {
    const exec = newExecutor();
    const event = { id: "order-42-placed", name: "test/order.placed", data: { orderId: "o-42" } };
    const first = await exec.send(event);
    const second = await exec.send({ ...event, data: { orderId: "o-42-again" } });

    expect(first.map((r) => r.functionId)).toEqual([`${APP_ID}-announces`, `${APP_ID}-notifies`]);
    expect(second).toEqual([]);
    const placed = exec.stored.events.filter((e) => e.event.id === "order-42-placed");
    expect(placed).toHaveLength(2);
    expect(exec.stored.skipped).toEqual([
      {
        reason: "duplicate-event-id",
        eventId: "order-42-placed",
        internalId: placed[1]!.internalId,
      },
    ]);
  });

  it("starts one run per function idempotency key", async () => {
    const exec = newExecutor();
    const runs = await exec.send([
      { name: "test/charge.requested", data: { orderId: "o-1" } },
      { name: "test/charge.requested", data: { orderId: "o-1" } },
      { name: "test/charge.requested", data: { orderId: "o-2" } },
    ]);

    expect(runs.map((r) => r.result)).toEqual([{ charged: "o-1" }, { charged: "o-2" }]);
    expect(exec.stored.skipped).toMatchObject([
      { reason: "idempotency", functionId: `${APP_ID}-charges-once`, key: '"o-1"' },
    ]);
  });

  it("resumes waitForEvent on a matching event only, and with null on timeout", async () => {
    const exec = newExecutor();
    const [waiting] = await exec.send({
      name: "test/approval.requested",
      data: { requestId: "r-1" },
    });
    await exec.send({ name: "test/approval.requested", data: { requestId: "r-2" } });
    expect(waiting?.status).toBe("waiting");

    await exec.send({ name: "test/approval.given", data: { requestId: "r-other", by: "mallory" } });
    expect(waiting?.status).toBe("waiting");
    const resumed = await exec.send({
      name: "test/approval.given",
      data: { requestId: "r-1", by: "alice" },
    });
    expect(resumed).toEqual([waiting]);
    expect(waiting).toMatchObject({ status: "completed", result: { approvedBy: "alice" } });

    const [timedOut] = await exec.timeOutWaits();
    expect(timedOut).toMatchObject({ status: "completed", result: { approvedBy: null } });
  });

  it("exposes everything Inngest would persist in storedText: events, step outputs, step errors, results", async () => {
    const exec = newExecutor();
    await exec.send({ name: "test/multi.requested", data: { userId: "u-stored-123" } });
    await exec.send({ name: "test/flaky.requested", data: {} });
    const text = exec.storedText();

    expect(JSON.parse(text)).toEqual(exec.stored);
    expect(text).toContain('"load-user"');
    expect(text).toContain('"data":{"id":"u-stored-123"}'); // step output
    expect(text).toContain("transient failure on attempt 0"); // error of a retried attempt
    expect(text).toContain('"result":{"reply":{"status":"ok","attempt":1}}'); // function result
  });

  it("ticks a cron function on demand with an inngest/scheduled.timer run that no other function sees", async () => {
    const exec = newExecutor();
    const first = only(await exec.tick(`${APP_ID}-sweeps`), "sweeps");
    expect(first).toMatchObject({
      status: "completed",
      result: { trigger: "inngest/scheduled.timer", cron: "*/5 * * * *", swept: 1 },
    });
    expect(exec.stored.events.map((e) => e.event.name)).toEqual(["inngest/scheduled.timer"]);
    expect(exec.stored.runs).toHaveLength(1);
    // Each tick is its own run with its own timer event.
    const second = only(await exec.tick(`${APP_ID}-sweeps`), "sweeps");
    expect(second.runId).not.toBe(first.runId);
    expect(second.event.id).not.toBe(first.event.id);
    expect(bodyRuns["sweep"]).toBe(2);
    // Sent from outside, the internal name is refused, as the Event API does.
    await expect(exec.send({ name: "inngest/scheduled.timer" })).rejects.toThrow(/reserved/);
  });

  it("refuses to tick a function without a cron trigger", async () => {
    const exec = newExecutor();
    await expect(exec.tick(`${APP_ID}-multi-step`)).rejects.toThrow(/no cron-triggered function/);
    await expect(exec.tick(`${APP_ID}-nope`)).rejects.toThrow(/no cron-triggered function/);
  });

  it("skips a tick while the singleton's previous run is unfinished, as Inngest does", async () => {
    const exec = newExecutor();
    const [first] = await exec.tick(`${APP_ID}-sweeps-slowly`);
    expect(first).toMatchObject({ status: "waiting" });
    expect(await exec.tick(`${APP_ID}-sweeps-slowly`)).toEqual([]);
    expect(exec.stored.skipped).toEqual([
      expect.objectContaining({ reason: "singleton", functionId: `${APP_ID}-sweeps-slowly` }),
    ]);
    await exec.timeOutWaits();
    expect(first).toMatchObject({ status: "completed", result: { went: false } });
    expect(await exec.tick(`${APP_ID}-sweeps-slowly`)).toMatchObject([{ status: "waiting" }]);
  });
});
