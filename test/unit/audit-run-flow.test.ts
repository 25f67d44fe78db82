import { run } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { auditRun } from "../../src/inngest/events.ts";
import {
  AUDIT_INSTALLATION_KEY,
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

const base = { githubLogin: "octo", githubId: 5 };

describe("audit-run flow-control keys", () => {
  it("keys the singleton on the user, a field every valid event carries", () => {
    expect(evaluate(AUDIT_USER_KEY, { ...base, userId: USER_A })).toBe(USER_A);
    expect(evaluate(AUDIT_USER_KEY, { ...base, userId: USER_A, installationId: 9 })).toBe(USER_A);
  });

  it("keys the installation limit on the installation the event names", () => {
    const a = evaluate(AUDIT_INSTALLATION_KEY, { ...base, userId: USER_A, installationId: 42 });
    const b = evaluate(AUDIT_INSTALLATION_KEY, { ...base, userId: USER_B, installationId: 42 });
    const other = evaluate(AUDIT_INSTALLATION_KEY, { ...base, userId: USER_A, installationId: 43 });
    expect(a).toBe("installation:42");
    expect(b).toBe(a);
    expect(other).toBe("installation:43");
  });

  it("never collapses events without an installation into one shared bucket", () => {
    const a = evaluate(AUDIT_INSTALLATION_KEY, { ...base, userId: USER_A });
    const b = evaluate(AUDIT_INSTALLATION_KEY, { ...base, userId: USER_B });
    expect(a).toBe(`user:${USER_A}`);
    expect(b).toBe(`user:${USER_B}`);
    // An installation id can never read as a user key, nor the reverse.
    expect(
      evaluate(AUDIT_INSTALLATION_KEY, { ...base, userId: USER_A, installationId: 1 }),
    ).not.toBe(a);
  });

  it("the unguarded form fails on a missing field (what the server turns into one constant bucket)", () => {
    // @bufbuild/cel returns evaluation errors as values.
    const unguarded = evaluate("event.data.installationId", { ...base, userId: USER_A });
    expect(unguarded).toBeInstanceOf(Error);
    expect(String(unguarded)).toMatch(/installationId/);
  });
});
