import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { InngestTestEngine } from "@inngest/test";
import { Inngest, NonRetriableError, RetryAfterError, eventType } from "inngest";
import { http, HttpResponse } from "msw";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import {
  CredentialFirewall,
  CredentialLeakError,
  redactThrown,
} from "../../src/security/credential-firewall.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { useMsw } from "../support/msw.ts";

// Made at run time: an installation-token-shaped value that must never escape.
const TOKEN = `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`;

/** Everything the fake event API received, one entry per request body. */
const received: unknown[] = [];
// In dev mode with no base URL configured, v4 posts events to http://localhost:8288/e/<eventKey>.
useMsw(
  http.post("http://localhost:8288/e/:eventKey", async ({ request }) => {
    const events = (await request.json()) as unknown[];
    received.push(events);
    return HttpResponse.json({ ids: events.map((_, i) => `evt-${i}`), status: 200 });
  }),
);

let logLines: string[];
beforeEach(() => {
  received.length = 0;
  logLines = [];
  // Keep a developer's shell from redirecting the client away from the intercepted URL.
  for (const name of ["INNGEST_BASE_URL", "INNGEST_EVENT_API_BASE_URL", "INNGEST_DEV"])
    vi.stubEnv(name, "");
});
afterEach(() => {
  vi.unstubAllEnvs();
  // The SDK logs step and function errors through the client logger: none may carry the token.
  expect(logLines.join("")).not.toContain(TOKEN);
});

function client() {
  const { logger } = collectingLogger({ lines: logLines });
  return new Inngest({
    id: "firewall-test",
    isDev: true,
    logger,
    middleware: [CredentialFirewall],
  });
}
const run = eventType("test/firewall.run");
const trigger = [{ name: "test/firewall.run", data: {} }] as [{ name: string; data: object }];
/** Everything a run left behind, errors included (message, stack and cause are not enumerable). */
const dump = (value: unknown) => inspect(value, { depth: null, maxStringLength: null });

describe("events", () => {
  it("refuses inngest.send() with a credential before anything reaches the event API", async () => {
    const inngest = client();
    expect(inngest.eventBaseUrl).toBe("http://localhost:8288/");
    const sending = inngest.send({
      name: "github/installation.created",
      data: { installationId: 7, auth: { token: TOKEN } },
    });
    const error = await sending.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CredentialLeakError);
    const message = (error as Error).message;
    expect(message).toContain('event "github/installation.created"');
    expect(message).toContain("$.data.auth.token (github-token)");
    expect(dump(error)).not.toContain(TOKEN);
    expect(received).toEqual([]);
  });

  it("refuses an automation API key (cfk_…) anywhere in an event, naming the path and kind only", async () => {
    const { key } = generateApiKey();
    const error = await client()
      .send({ name: "audit/run", data: { userId: "u", note: `called with ${key}` } })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CredentialLeakError);
    expect((error as Error).message).toContain("$.data.note (api-key)");
    expect(dump(error)).not.toContain(key);
    expect(dump(error)).not.toContain(key.slice(0, 12));
    expect(received).toEqual([]);
  });

  it("refuses the whole batch when one event carries a credential-named key", async () => {
    const batch = [
      { name: "github/clean.event", data: { installationId: 1 } },
      { name: "github/leaky.event", data: { items: [{ password: "not-shaped-but-named" }] } },
    ];
    await expect(client().send(batch)).rejects.toThrow(
      /"github\/leaky\.event".*\$\.data\.items\[0\]\.password \(credential-named-key\)/,
    );
    expect(received).toEqual([]);
  });

  it("sends a clean event", async () => {
    const data = {
      installationId: 7,
      tokenExpiresAt: "2025-06-01T12:00:00.000Z",
      headSha: randomBytes(20).toString("hex"),
    };
    await expect(client().send({ name: "github/installation.created", data })).resolves.toEqual({
      ids: ["evt-0"],
    });
    expect(received).toEqual([
      [expect.objectContaining({ name: "github/installation.created", data })],
    ]);
  });

  it("refuses step.sendEvent inside a function, failing the step without a retry", async () => {
    const fn = client().createFunction({ id: "notify", triggers: [run] }, async ({ step }) => {
      await step.sendEvent("notify-consumer", {
        name: "github/token.minted",
        data: { token: TOKEN },
      });
    });
    const { error } = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(error).toMatchObject({
      name: "CredentialLeakError",
      message: expect.stringContaining("$.data.token"),
    });
    expect(dump(error)).not.toContain(TOKEN);
    expect(received).toEqual([]);
  });
});

describe("step outputs and inputs", () => {
  it("fails a step that returns a token, non-retriably, and nothing recorded holds it", async () => {
    const fn = client().createFunction({ id: "mint", triggers: [run] }, async ({ step }) => {
      const minted = await step.run("mint-token", () => ({
        token: TOKEN,
        expiresAt: "2025-06-01T12:00:00Z",
      }));
      return { expiresAt: minted.expiresAt };
    });
    const out = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(out.error).toMatchObject({
      name: "CredentialLeakError",
      message: expect.stringContaining('step "mint-token"'),
    });
    expect(dump(out)).not.toContain(TOKEN);

    const step = await new InngestTestEngine({ function: fn, events: trigger }).executeStep(
      "mint-token",
    );
    expect(step.step.op).toBe("StepFailed"); // StepError would mean "retry"
    expect(dump(step)).not.toContain(TOKEN);
  });

  it("lets a step return derived, non-secret data", async () => {
    const fn = client().createFunction({ id: "derive", triggers: [run] }, async ({ step }) => {
      return step.run("use-token", () => ({ installationId: 7, tokenLength: TOKEN.length }));
    });
    const out = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(out.error).toBeUndefined();
    expect(out.result).toEqual({ installationId: 7, tokenLength: 40 });
  });

  it("refuses a token passed as a step.run argument, which Inngest would store as step input", async () => {
    let ran = false;
    const fn = client().createFunction({ id: "args", triggers: [run] }, async ({ step }) => {
      await step.run("with-arg", (t: string) => ((ran = true), t.length), TOKEN);
    });
    const out = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(out.error).toMatchObject({
      name: "CredentialLeakError",
      message: expect.stringContaining('input of step "with-arg"'),
    });
    expect(ran).toBe(false);
    expect(dump(out)).not.toContain(TOKEN);
  });

  it("refuses step.fetch, whose request headers Inngest stores where no hook can inspect them", async () => {
    const fn = client().createFunction({ id: "fetches", triggers: [run] }, async ({ step }) => {
      await step.fetch("https://api.github.com/installation/repositories", {
        headers: { authorization: `token ${TOKEN}` },
      });
    });
    const out = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(out.error).toMatchObject({
      name: "CredentialLeakError",
      message: expect.stringContaining("(fetch): $.opts (uninspectable-step-opts)"),
    });
    expect(dump(out)).not.toContain(TOKEN);
  });

  it("fails a function whose return value holds a credential", async () => {
    const fn = client().createFunction({ id: "returns", triggers: [run] }, async () => ({
      session: { cookie: "sid=abc" },
    }));
    const out = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(out.result).toBeUndefined();
    expect(out.error).toMatchObject({
      name: "CredentialLeakError",
      message: expect.stringContaining("$.session.cookie"),
    });
    expect(dump(out)).not.toContain("sid=abc");
  });
});

describe("errors", () => {
  it("redacts a step's thrown error and keeps it retriable", async () => {
    const fn = client().createFunction({ id: "throws", triggers: [run] }, async ({ step }) => {
      await step.run("call-github", () => {
        throw new RetryAfterError(`GitHub said 403 for ${TOKEN}`, "30s", {
          cause: new Error(`token ${TOKEN}`),
        });
      });
    });
    const out = await new InngestTestEngine({ function: fn, events: trigger }).executeStep(
      "call-github",
    );
    expect(out.step.op).toBe("StepError");
    expect(out.error).toMatchObject({
      name: "RetryAfterError",
      message: "GitHub said 403 for [REDACTED]",
    });
    expect(dump(out)).not.toContain(TOKEN);
    expect(logLines.join("")).toContain("Inngest step error");
  });

  it("redacts an error thrown by the function itself and keeps it non-retriable", async () => {
    const fn = client().createFunction({ id: "fn-throws", triggers: [run] }, async () => {
      throw new NonRetriableError(`installation token ${TOKEN} was revoked`);
    });
    const out = await new InngestTestEngine({ function: fn, events: trigger }).execute();
    expect(out.error).toMatchObject({
      name: "NonRetriableError",
      message: "installation token [REDACTED] was revoked",
    });
    expect(dump(out)).not.toContain(TOKEN);
  });

  it("redactThrown fixes errors in place, keeping identity, class and retry-after", () => {
    const err = new RetryAfterError(`rate limited ${TOKEN}`, "2m", {
      cause: { headers: { authorization: `token ${TOKEN}` } },
    });
    const out = redactThrown(err);
    expect(out).toBe(err);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.retryAfter).toBe("120");
    expect(dump(err)).not.toContain(TOKEN);
    const clean = new NonRetriableError("no secret here");
    expect(redactThrown(clean)).toBe(clean);
  });

  it("redactThrown replaces thrown non-Errors that hold credentials", () => {
    expect(redactThrown(`failed with ${TOKEN}`)).toBe("failed with [REDACTED]");
    const replaced = redactThrown({ status: 401, token: TOKEN });
    expect(replaced).toBeInstanceOf(CredentialLeakError);
    expect(dump(replaced)).not.toContain(TOKEN);
    expect(redactThrown({ status: 500 })).toEqual({ status: 500 });
  });
});
