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

  it("pages the fan-out: with 2 users per page, every user gets exactly one build event, and a rerun sends nothing new", async () => {
    const now = new Date("2026-11-25T06:00:00Z");
    const s = stack.arrange({ now: () => now, refreshPageSize: 2, github: false });
    const users = [];
    for (let i = 0; i < 5; i++) {
      const user = await createUser(db.sql);
      await createInstallation(db.sql, { accountId: user.githubId });
      users.push(user);
    }
    const [eligible] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from public.recommendation_refresh_users(null, 1000)`;

    const runs = await s.executor.tick(FN);
    const refresh = runs.find((r) => r.functionId === FN)!;
    expect(refresh).toMatchObject({
      status: "completed",
      result: { requested: eligible!.n, day: "2026-11-25" },
    });
    // A page of 2 and a last page that is short (or empty when the count is even).
    const pages = Math.floor(eligible!.n / 2) + 1;
    expect(refresh.steps.filter((st) => st.id.startsWith("find-users-"))).toHaveLength(pages);
    expect(refresh.steps.filter((st) => st.id.startsWith("request-builds-")).length).toBe(
      Math.ceil(eligible!.n / 2),
    );

    const requested = () =>
      s.executor.stored.events.filter(
        (e) =>
          e.event.name === "recommendations/build.requested" && e.event.id?.endsWith(":2026-11-25"),
      );
    const ids = requested().map((e) => e.event.id);
    expect(new Set(ids).size).toBe(eligible!.n);
    for (const user of users)
      expect(
        requested().filter((e) => e.event.data["userId"] === user.id),
        user.id,
      ).toEqual([
        expect.objectContaining({
          event: expect.objectContaining({ id: `recommendations-refresh:${user.id}:2026-11-25` }),
        }),
      ]);
    const builds = runs.filter((r) => r.functionId.endsWith("-recommendations-build"));
    expect(builds).toHaveLength(eligible!.n);

    // A dashboard rerun of the same run sends the same ids: nothing new runs.
    const again = await s.executor.rerun(refresh);
    expect(again[0]).toMatchObject({ status: "completed", result: { requested: eligible!.n } });
    expect(again.filter((r) => r.functionId.endsWith("-recommendations-build"))).toEqual([]);
    expect(s.executor.stored.skipped.filter((k) => k.reason === "duplicate-event-id")).toHaveLength(
      eligible!.n,
    );
  });

  it("refuses a page size outside 1..1000 at start", () => {
    for (const refreshPageSize of [0, 1001, 2.5])
      expect(() => stack.arrange({ refreshPageSize, github: false })).toThrow(/refreshPageSize/);
  });
});
