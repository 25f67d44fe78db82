import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const FN = `${INNGEST_APP_ID}-refresh-recommendations`;

describe("refresh-recommendations (daily fan-out)", () => {
  it("asks for a build of every user who reaches an active installation, once a day, with step.sendEvent", async () => {
    const now = new Date("2026-11-24T06:00:00Z");
    const s = stack.arrange({ now: () => now });
    const installer = await createUser(db.sql);
    const owner = await createUser(db.sql);
    const suspended = await createUser(db.sql);
    const nobody = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: 880_001, installedBy: installer.githubId });
    await createInstallation(db.sql, { accountId: owner.githubId });
    await createInstallation(db.sql, { accountId: suspended.githubId, status: "suspended" });

    // A tick drains: the runs it returns include the builds its events triggered.
    const runs = await s.executor.tick(FN);
    expect(runs.find((r) => r.functionId === FN)).toMatchObject({
      status: "completed",
      result: { requested: 2, day: "2026-11-24" },
    });
    const requested = () =>
      s.executor.stored.events.filter((e) => e.event.name === "recommendations/build.requested");
    const expected = [installer.id, owner.id].sort().map((userId) => ({
      id: `recommendations-refresh:${userId}:2026-11-24`,
      data: { userId },
    }));
    expect(requested().map((e) => ({ id: e.event.id, data: e.event.data }))).toEqual(expected);
    expect(requested().map((e) => e.event.data["userId"])).not.toContain(suspended.id);
    expect(requested().map((e) => e.event.data["userId"])).not.toContain(nobody.id);

    // The builds it asked for ran, one per user.
    const builds = runs.filter((r) => r.functionId.endsWith("-recommendations-build"));
    expect(builds.map((b) => b.status)).toEqual(["completed", "completed"]);

    // A rerun the same day sends the same ids: Inngest drops them, no build runs again.
    const again = await s.executor.tick(FN);
    expect(again.find((r) => r.functionId === FN)).toMatchObject({
      status: "completed",
      result: { requested: 2 },
    });
    expect(again.filter((r) => r.functionId.endsWith("-recommendations-build"))).toEqual([]);
  });
});
