import { run } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { auditCollectData, auditCollectInvoked, auditRun } from "../../src/inngest/events.ts";
import {
  AUDIT_COLLECT_INSTALLATION_KEY,
  AUDIT_USER_KEY,
} from "../../src/inngest/functions/audit-run-flow.ts";

const USER_A = "0f6a4f5e-8a51-4a43-9a8b-1a2b3c4d5e6f";
const USER_B = "6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

/** The keys are CEL the Inngest server evaluates; @bufbuild/cel is a conformance-tested evaluator. */
function evaluate(expression: string, data: Record<string, unknown>): unknown {
  // Only events the schema accepts reach a run: a key is evaluated on those.
  const event = auditRun.create(data as never);
  expect(auditRun.schema.safeParse(event.data).success).toBe(true);
  return run(expression, { event: { name: event.name, data: event.data } } as never);
}

/** audit-collect's key, on an invocation its schema accepts. */
function evaluateCollect(data: Record<string, unknown>): unknown {
  expect(auditCollectData.safeParse(data).success).toBe(true);
  return run(AUDIT_COLLECT_INSTALLATION_KEY, {
    event: { name: auditCollectInvoked.name, data },
  } as never);
}

const base = { githubLogin: "octo", githubId: 5 };

describe("audit-run flow-control keys", () => {
  it("keys the singleton on the user, a field every valid event carries", () => {
    expect(evaluate(AUDIT_USER_KEY, { ...base, userId: USER_A })).toBe(USER_A);
    expect(evaluate(AUDIT_USER_KEY, { ...base, userId: USER_A, installationId: 9 })).toBe(USER_A);
    expect(evaluate(AUDIT_USER_KEY, { ...base, userId: USER_B })).toBe(USER_B);
  });

  it("keys audit-collect's limit on the installation its invocation names", () => {
    const a = evaluateCollect({ installationId: 42, login: "octo" });
    const b = evaluateCollect({ installationId: 42, login: "hubot" });
    const other = evaluateCollect({ installationId: 43, login: "octo" });
    expect(a).toBe(42);
    expect(b).toBe(a);
    expect(other).not.toBe(a);
  });

  it("reads the key on the invocation event as Inngest sends it, metadata included", () => {
    const data = { installationId: 7, login: "octo", _inngest: { source_fn_id: "x-audit-run" } };
    expect(evaluateCollect(data)).toBe(7);
  });

  it("refuses an invocation without an installation, so the key can never be missing", () => {
    expect(auditCollectData.safeParse({ login: "octo" }).success).toBe(false);
    expect(auditCollectData.safeParse({ installationId: 7 }).success).toBe(false);
    expect(
      auditCollectData.safeParse({ installationId: 7, login: "octo", token: "t" }).success,
    ).toBe(false);
  });

  it("an audit/run key on installationId would fail without one (one constant bucket at the server)", () => {
    // @bufbuild/cel returns evaluation errors as values.
    const unguarded = evaluate(AUDIT_COLLECT_INSTALLATION_KEY, { ...base, userId: USER_A });
    expect(unguarded).toBeInstanceOf(Error);
    expect(String(unguarded)).toMatch(/installationId/);
  });
});
