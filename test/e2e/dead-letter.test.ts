import { run as cel } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { DEAD_LETTER_IF } from "../../src/inngest/functions/dead-letter.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

describe("dead letter", () => {
  it("records a run that exhausted its retries: identifiers and a message, no secret", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.graphqlModes.set(user.login, "5xx");
    const eventId = `audit-run:${user.id}:dead-letter`;
    const [run] = await s.executor.send({
      name: "audit/run",
      id: eventId,
      data: { userId: user.id, githubLogin: user.login, githubId: user.githubId },
    });
    expect(run!.status).toBe("failed");

    const rows = await db.sql`
      select run_id, function_id, event_name, event_id, error_name, error_message, recorded_by
        from public.failed_runs`;
    expect(rows).toEqual([
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
    // A rerun of the dead-letter run finds its row.
    const deadLetter = s.executor.stored.runs.find((r) => r.functionId.endsWith("-dead-letter"));
    await s.executor.rerun(deadLetter!);
    expect(await db.sql`select 1 from public.failed_runs`).toHaveLength(1);
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
