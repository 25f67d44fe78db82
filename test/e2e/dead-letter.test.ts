import { run as cel } from "@bufbuild/cel";
import { InngestTestEngine } from "@inngest/test";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { DEAD_LETTER_IF } from "../../src/inngest/functions/dead-letter.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

const alnum = (n: number) =>
  randomBytes(n)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "x");

/** Credential-shaped values made here: an installation token, a PEM private key, an API key. */
function credentials() {
  const body = [alnum(64), alnum(64), alnum(40)];
  return {
    token: `ghs_${alnum(36)}`,
    pem: `-----BEGIN RSA PRIVATE KEY-----\n${body.join("\n")}\n-----END RSA PRIVATE KEY-----`,
    pemLines: body,
    apiKey: `cfk_${alnum(32)}`,
  };
}

/** The RPC client, except that `failing` throws an error quoting `message`. */
function throwingOn(failing: string, message: string) {
  return (rpc: RpcClient): RpcClient => ({
    transport: rpc.transport,
    call(name, args) {
      if (name === failing) return Promise.reject(new Error(message));
      return rpc.call(name, args);
    },
    close: () => rpc.close(),
  });
}

describe("dead letter", () => {
  it("records a run that exhausted its retries: identifiers and a message, no secret", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.graphqlModes.set(user.login, "5xx");
    const eventId = `audit-run:${user.id}:dead-letter`;
    const runs = await s.executor.send({
      name: "audit/run",
      id: eventId,
      data: { userId: user.id, githubLogin: user.login, githubId: user.githubId },
    });
    const run = runs.find((r) => r.functionId.endsWith("-audit-run"));
    const collect = runs.find((r) => r.functionId.endsWith("-audit-collect"));
    expect(run).toMatchObject({ status: "failed" });
    expect(collect).toMatchObject({ status: "failed" });

    // Both failed runs are recorded: the GitHub calls' (audit-collect) and the audit's.
    const rows = await db.sql`
      select run_id, function_id, event_name, event_id, error_name, error_message, recorded_by
        from public.failed_runs order by function_id`;
    expect(rows).toEqual([
      {
        run_id: collect!.runId,
        function_id: `${INNGEST_APP_ID}-audit-collect`,
        event_name: "inngest/function.invoked",
        event_id: collect!.event.id,
        error_name: expect.any(String),
        error_message: expect.stringMatching(/\S/),
        recorded_by: "system:dead-letter",
      },
      {
        run_id: run!.runId,
        function_id: `${INNGEST_APP_ID}-audit-run`,
        event_name: "audit/run",
        event_id: eventId,
        error_name: expect.any(String),
        error_message: expect.stringMatching(/\S/),
        recorded_by: "system:dead-letter",
      },
    ]);
    const text = JSON.stringify(rows);
    for (const secret of s.secrets()) expect(text.includes(secret)).toBe(false);
    expect(text).not.toMatch(/\bat .*:\d+:\d+/); // no stack frames
    // A rerun of a dead-letter run finds its row.
    const deadLetter = s.executor.stored.runs.find((r) => r.functionId.endsWith("-dead-letter"));
    await s.executor.rerun(deadLetter!);
    expect(await db.sql`select 1 from public.failed_runs`).toHaveLength(2);
  });

  it("redacts credentials quoted by a failing run's error: in failed_runs, storage, logs and rows", async () => {
    const leak = credentials();
    const s = stack.arrange({
      wrapRpc: throwingOn(
        "audit_context",
        `upstream refused token ${leak.token} with key ${leak.pem} for ${leak.apiKey}`,
      ),
    });
    const user = await createUser(db.sql);
    const [run] = await s.executor.send({
      name: "audit/run",
      id: `audit-run:${user.id}:leaky`,
      data: { userId: user.id, githubLogin: user.login, githubId: user.githubId },
    });
    expect(run!.status).toBe("failed");

    const [row] = await db.sql<{ error_message: string }[]>`
      select error_message from public.failed_runs where run_id = ${run!.runId}`;
    expect(row!.error_message).toContain("upstream refused token [REDACTED]");
    expect(row!.error_message).toContain("for [REDACTED]");
    const secrets = [leak.token, leak.apiKey, ...leak.pemLines, ...s.secrets()];
    const places = {
      storage: s.executor.storedText(),
      logs: s.logLines.join(""),
      rows: await stack.databaseText(),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const secret of secrets) expect(text.includes(secret), place).toBe(false);
    }
  });

  it("redacts a failure event's message before cutting it, so no credential prefix survives", async () => {
    const s = stack.arrange();
    const leak = credentials();
    const runId = randomUUID();
    const deadLetter = s.application.functions.find((f) => f.id() === "dead-letter")!;
    // Inngest may announce an error this app's middleware never saw (a timeout, say).
    const engine = new InngestTestEngine({ function: deadLetter });
    const { error } = await engine.execute({
      events: [
        {
          name: "inngest/function.failed",
          id: runId,
          data: {
            function_id: `${INNGEST_APP_ID}-audit-run`,
            run_id: runId,
            error: { name: "Error", message: `${". ".repeat(495)}${leak.token} ${leak.pem}` },
            event: { name: "audit/run", id: "audit-run:someone:today" },
          },
        },
      ],
    });
    expect(error).toBeUndefined();
    const [row] = await db.sql<{ error_message: string }[]>`
      select error_message from public.failed_runs where run_id = ${runId}`;
    expect(row!.error_message).toHaveLength(1000);
    expect(row!.error_message.endsWith("[REDACTED]")).toBe(true);
    expect(row!.error_message).not.toContain("ghs_");
    expect(s.logLines.join("")).not.toContain(leak.token.slice(0, 12));
  });

  it("matches this app's functions only, and never its own failures", () => {
    const matches = (functionId: string) =>
      cel(DEAD_LETTER_IF, { event: { data: { function_id: functionId } } });
    expect(matches(`${INNGEST_APP_ID}-audit-run`)).toBe(true);
    expect(matches(`${INNGEST_APP_ID}-audit-run-failure`)).toBe(true);
    expect(matches("audit-run")).toBe(false); // Inngest always sends the app-prefixed id
    expect(matches("another-app-audit-run")).toBe(false);
    expect(matches(`${INNGEST_APP_ID}-dead-letter`)).toBe(false);
  });
});
