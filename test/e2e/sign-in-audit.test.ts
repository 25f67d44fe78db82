import { randomUUID } from "node:crypto";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { INNGEST_URL, useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

async function auditsOf(userId: string) {
  return db.sql`select status, reason, installation_id, level, xp, created_by from public.audits where user_id = ${userId} order by id`;
}

describe("sign-in to audit, end to end over HTTP", () => {
  it("queues an identifier-only audit/run, audits with a run-time token, and stores no credential anywhere", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql, { login: "octo-grace" });
    const installationId = await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.users.set("octo-grace", { mergedPrsExternal: 12, mergedPrs: 30, followers: 40 });

    const res = await s.action("bootstrap-profile", await s.userToken(user));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: { githubLogin: "octo-grace", githubId: user.githubId, audit: "queued" },
    });

    const runs = await s.executor.drain();
    const auditRun = runs.find((r) => r.functionId.endsWith("-audit-run"));
    expect(auditRun?.status).toBe("completed");

    const [sent] = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(Object.keys(sent!.event.data).sort()).toEqual([
      "githubId",
      "githubLogin",
      "installationId",
      "userId",
    ]);
    expect(sent!.event.data).toEqual({
      userId: user.id,
      githubLogin: "octo-grace",
      githubId: user.githubId,
      installationId,
    });

    const audits = await auditsOf(user.id);
    expect(audits).toEqual([
      {
        status: "completed",
        reason: null,
        installation_id: installationId,
        level: 2,
        xp: expect.any(Number),
        created_by: "system:audit-run",
      },
    ]);
    const [profile] = await db.sql`select level, xp from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ level: audits[0]!.level, xp: audits[0]!.xp });
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/completed")).toHaveLength(
      1,
    );
    expect(s.fake.state.requests).toMatchObject({ mint: 1, graphql: 1 });

    // The promise: the installation token, the App's private key and JWTs, and the user's
    // access token appear in nothing Inngest stores, in no log line, in no database row.
    const secrets = s.secrets();
    expect(secrets.length).toBeGreaterThan(5);
    const stored = s.executor.storedText();
    const logs = s.logLines.join("");
    const rows = await stack.databaseText();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(stored.includes(secret), "inngest storage").toBe(false);
      expect(logs.includes(secret), "logs").toBe(false);
      expect(rows.includes(secret), "database").toBe(false);
    }
  });

  it("links the GitHub identity from auth.identities, not from user_metadata the user can edit", async () => {
    const s = stack.arrange();
    const victim = await createUser(db.sql, { login: "octo-victim" });
    await createInstallation(db.sql, { accountId: victim.githubId });
    const attacker = await createUser(db.sql, { login: "octo-attacker" });
    await createInstallation(db.sql, { accountId: attacker.githubId });

    // The attacker's token claims the victim's GitHub id in user_metadata.provider_id.
    const res = await s.action("bootstrap-profile", await s.userToken(attacker, victim.githubId));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      data: { githubLogin: "octo-attacker", githubId: attacker.githubId },
    });
    await s.executor.drain();

    const [event] = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(event!.event.data).toMatchObject({
      userId: attacker.id,
      githubId: attacker.githubId,
      githubLogin: "octo-attacker",
    });
    expect(await auditsOf(victim.id)).toEqual([]);
    const [victimProfile] =
      await db.sql`select github_id, github_login, updated_by from public.profiles where id = ${victim.id}`;
    expect(victimProfile).toEqual({
      github_id: victim.githubId,
      github_login: "octo-victim",
      updated_by: `user:${victim.id}`,
    });
    expect(await auditsOf(attacker.id)).toMatchObject([{ status: "completed" }]);
  });

  it("answers 401 and writes nothing without a valid session", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await db.sql`delete from public.profiles where id = ${user.id}`;
    const forged = (await s.userToken(user)).slice(0, -4) + "AAAA";
    for (const token of [null, forged, "not-a-jwt"]) {
      const res = await s.action("bootstrap-profile", token);
      expect(res.status).toBe(401);
    }
    expect(await db.sql`select 1 from public.profiles where id = ${user.id}`).toHaveLength(0);
    expect(s.executor.stored.events).toEqual([]);
  });

  it("queues nothing for an already-audited user, and one audit for repeated sign-ins on one day", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const token = await s.userToken(user);
    for (let i = 0; i < 3; i++)
      expect((await s.action("bootstrap-profile", token)).status).toBe(200);
    // Three sends, one id: Inngest keeps the first and drops the rest.
    expect(s.executor.stored.skipped.filter((k) => k.reason === "duplicate-event-id")).toHaveLength(
      2,
    );
    await s.executor.drain();
    expect(await auditsOf(user.id)).toHaveLength(1);

    const before = s.executor.stored.events.length;
    const res = await s.action("bootstrap-profile", token);
    expect(await res.json()).toMatchObject({ data: { audit: "already_audited" } });
    expect(s.executor.stored.events.length).toBe(before);
  });

  it("answers 409 github_identity_missing to a user who signed up without GitHub, and writes nothing", async () => {
    const s = stack.arrange();
    const userId = randomUUID();
    await db.sql`insert into auth.users (id, email) values (${userId}, 'mail-only@example.test')`;
    const token = await s.userToken({ id: userId, login: "mail-only", githubId: 1 });

    const res = await s.action("bootstrap-profile", token);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: "github_identity_missing",
      message: expect.stringMatching(/sign in with GitHub/i),
    });
    expect(await db.sql`select 1 from public.profiles where id = ${userId}`).toHaveLength(0);
    expect(s.executor.stored.events).toEqual([]);
    // A refusal the user can act on, not a server fault.
    expect(s.logLines.join("")).not.toMatch(/"level":50/);
  });

  it("audits on a second sign-in the same day once the user has installed the App", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    expect((await s.action("bootstrap-profile", token)).status).toBe(200);
    await s.executor.drain();
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "skipped", reason: "no_auth_source" },
    ]);

    await createInstallation(db.sql, { accountId: user.githubId });
    const again = await s.action("bootstrap-profile", token);
    expect(await again.json()).toMatchObject({ data: { audit: "queued" } });
    await s.executor.drain();
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "skipped", reason: "no_auth_source" },
      { status: "completed" },
    ]);
  });

  it("drops a forged server-controlled field in the action input and acts for the session's user", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const other = await createUser(db.sql);
    const res = await s.action("bootstrap-profile", await s.userToken(user), {
      userId: other.id,
      actorSource: "api_key",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { githubLogin: user.login } });
    const events = s.executor.stored.events.map((e) => e.event.data);
    expect(events).toEqual([expect.objectContaining({ userId: user.id })]);
    expect(JSON.stringify(events)).not.toContain(other.id);
  });
});

describe("faults surface as retryable answers and lose nothing", () => {
  it("answers 503 when Inngest is unreachable, and a retry of the same sign-in queues exactly one audit", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const token = await s.userToken(user);
    stack.server.use(http.post(`${INNGEST_URL}/e/:key`, () => HttpResponse.error()));
    const down = await s.action("bootstrap-profile", token);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: "audit_not_queued" });
    expect(s.executor.stored.events).toEqual([]);

    stack.server.resetHandlers();
    stack.server.use(...s.handlers);
    expect((await s.action("bootstrap-profile", token)).status).toBe(200);
    await s.executor.drain();
    expect(await auditsOf(user.id)).toMatchObject([{ status: "completed" }]);
  }, 30_000);
});
