import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GitHubIdentityMissingError, InvalidArgumentsError } from "../../src/db/rpc/errors.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const rpc = () =>
  createRpcClient(createSqlTransport(createSql(db.url, { max: 2, role: "service_role" })));
const SIGNALS = {
  accountAgeDays: 900,
  mergedPrs: 12,
  mergedPrsExternal: 5,
  closedIssues: 3,
  distinctLanguages: 4,
  yearlyContributions: 300,
  followers: 20,
};

function completed(key: string, userId: string) {
  return {
    p_idempotency_key: key,
    p_user_id: userId,
    p_status: "completed" as const,
    p_reason: null,
    p_installation_id: null,
    p_signals: SIGNALS,
    p_xp: 500,
    p_level: 2,
    p_actor: "system:audit-run",
    p_run_id: "run-1",
    p_languages: ["Go", "TypeScript"],
  };
}

function skipped(key: string, userId: string, reason = "no_auth_source", runId = "run-1") {
  return {
    ...completed(key, userId),
    p_status: "skipped" as const,
    p_reason: reason,
    p_signals: null,
    p_xp: null,
    p_level: null,
    p_run_id: runId,
    p_languages: null,
  };
}

describe("bootstrap_profile", () => {
  it("builds the profile from auth.identities, whatever the profile said before, and names the user as actor", async () => {
    const r = rpc();
    const user = await createUser(db.sql, { githubId: 4242, login: "real-login" });
    await db.sql`update public.profiles set github_id = null, github_login = 'stale', updated_by = 'system:test' where id = ${user.id}`;
    const installationId = await createInstallation(db.sql, { accountId: 4242 });
    expect(await r.call("bootstrap_profile", { p_user_id: user.id })).toEqual([
      {
        github_id: 4242,
        github_login: "real-login",
        installation_id: installationId,
        audited: false,
      },
    ]);
    const [profile] =
      await db.sql`select github_id, github_login, updated_by from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({
      github_id: 4242,
      github_login: "real-login",
      updated_by: `user:${user.id}`,
    });
    await r.close();
  });

  it("refuses a user without a GitHub identity and creates nothing", async () => {
    const r = rpc();
    const id = randomUUID();
    await db.sql`insert into auth.users (id) values (${id})`;
    await expect(r.call("bootstrap_profile", { p_user_id: id })).rejects.toBeInstanceOf(
      GitHubIdentityMissingError,
    );
    expect(await db.sql`select 1 from public.profiles where id = ${id}`).toHaveLength(0);
    await r.close();
  });
});

describe("audit_context", () => {
  it("uses an event's installation only when it is active and linked to the user, never another one", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const own = await createInstallation(db.sql, { accountId: user.githubId });
    const org = await createInstallation(db.sql, {
      accountId: 99_000_001,
      accountType: "Organization",
      installedBy: user.githubId,
    });
    const foreign = await createInstallation(db.sql, { accountId: 99_000_002 });
    const suspended = await createInstallation(db.sql, {
      accountId: user.githubId,
      status: "suspended",
    });
    const pick = async (p_installation_id: number | null) =>
      (
        await r.call("audit_context", {
          p_user_id: user.id,
          p_installation_id,
          p_idempotency_key: "audit/run:none",
        })
      )[0]!.installation_id;
    expect(await pick(org)).toBe(org);
    expect(await pick(null)).toBe(own);
    // The run's concurrency key names the event's installation: it must not use another.
    expect(await pick(foreign)).toBeNull();
    expect(await pick(suspended)).toBeNull();
    await r.close();
  });
});

describe("record_audit", () => {
  it("keeps the profile's languages for a skipped audit and refuses unbounded language lists", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    await r.call("record_audit", skipped("audit/run:evt-lang-skip", user.id));
    const [profile] = await db.sql`select languages from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ languages: [] });
    const tooMany = Array.from({ length: 101 }, (_, i) => `L${i}`);
    await expect(
      db.sql`select * from public.record_audit('audit/run:evt-lang-big', ${user.id}, 'completed', null, null,
             '{}'::jsonb, 1, 0::smallint, 'system:audit-run', 'run-1', ${tooMany}::text[])`,
    ).rejects.toMatchObject({ code: "22023" });
    await r.close();
  });

  it("writes one row per idempotency key and updates the profile once", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const first = await r.call("record_audit", completed("audit/run:evt-1", user.id));
    const again = await r.call("record_audit", {
      ...completed("audit/run:evt-1", user.id),
      p_xp: 1000,
      p_level: 2,
      p_languages: ["COBOL"],
    });
    expect(first).toEqual([
      {
        audit_id: expect.any(Number),
        status: "completed",
        reason: null,
        xp: 500,
        level: 2,
        changed: true,
        announced: false,
      },
    ]);
    // A completed audit is final: the second call returns what is recorded.
    expect(again).toEqual([{ ...first[0], changed: false }]);
    expect(
      await db.sql`select xp, level, created_by from public.audits where user_id = ${user.id}`,
    ).toEqual([{ xp: 500, level: 2, created_by: "system:audit-run" }]);
    const [profile] =
      await db.sql`select xp, level, audited_at is not null as audited, updated_by from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ xp: 500, level: 2, audited: true, updated_by: "system:audit-run" });
    // The languages of the first completion stay: a rerun of a completed event rewrites nothing.
    expect(
      await db.sql`select a.languages as audit, p.languages as profile from public.audits a
                   join public.profiles p on p.id = a.user_id where a.user_id = ${user.id}`,
    ).toEqual([{ audit: ["Go", "TypeScript"], profile: ["Go", "TypeScript"] }]);
    expect(await r.call("get_profile", { p_user_id: user.id })).toMatchObject([
      { languages: ["Go", "TypeScript"] },
    ]);
    const [ctx] = await r.call("audit_context", {
      p_user_id: user.id,
      p_installation_id: null,
      p_idempotency_key: "audit/run:evt-1",
    });
    expect(ctx).toMatchObject({
      completed_audit_id: first[0]!.audit_id,
      audit_id: first[0]!.audit_id,
      audit_status: "completed",
      audit_xp: 500,
      audit_level: 2,
      audit_announced: false,
    });
    await r.close();
  });

  it("keeps one row when concurrent retries of the same event record at once", async () => {
    const r = createRpcClient(
      createSqlTransport(createSql(db.url, { max: 8, role: "service_role" })),
    );
    const user = await createUser(db.sql);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        r.call("record_audit", completed("audit/run:evt-race", user.id)),
      ),
    );
    expect(results.flat().filter((row) => row.changed)).toHaveLength(1);
    expect(new Set(results.flat().map((row) => row.audit_id)).size).toBe(1);
    expect(
      await db.sql`select 1 from public.audits where idempotency_key = 'audit/run:evt-race'`,
    ).toHaveLength(1);
    await r.close();
  });

  it("completes the same row when a later run of the event can finish, keeping its history", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const key = "audit/run:evt-upgrade";
    const [first] = await r.call("record_audit", skipped(key, user.id, "no_auth_source", "run-a"));
    const [failed] = await r.call("record_audit", {
      ...skipped(key, user.id, "retries_exhausted", "run-b"),
      p_status: "failed",
    });
    const [done] = await r.call("record_audit", { ...completed(key, user.id), p_run_id: "run-c" });
    expect([first!.audit_id, failed!.audit_id]).toEqual([done!.audit_id, done!.audit_id]);
    expect(done).toMatchObject({ status: "completed", xp: 500, level: 2, changed: true });

    const [row] = await db.sql`
      select status, reason, xp, level, attempts, last_run_id, updated_by
        from public.audits where idempotency_key = ${key}`;
    expect(row).toEqual({
      status: "completed",
      reason: null,
      xp: 500,
      level: 2,
      attempts: 3,
      last_run_id: "run-c",
      updated_by: "system:audit-run",
    });
    expect(
      await db.sql`
        select from_status, from_reason, to_status, to_reason, run_id, actor
          from public.audit_transitions where audit_id = ${done!.audit_id} order by id`,
    ).toEqual([
      {
        from_status: null,
        from_reason: null,
        to_status: "skipped",
        to_reason: "no_auth_source",
        run_id: "run-a",
        actor: "system:audit-run",
      },
      {
        from_status: "skipped",
        from_reason: "no_auth_source",
        to_status: "failed",
        to_reason: "retries_exhausted",
        run_id: "run-b",
        actor: "system:audit-run",
      },
      {
        from_status: "failed",
        from_reason: "retries_exhausted",
        to_status: "completed",
        to_reason: null,
        run_id: "run-c",
        actor: "system:audit-run",
      },
    ]);
    const [profile] = await db.sql`select xp, level from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ xp: 500, level: 2 });
    await r.close();
  });

  it("never downgrades a completed audit: a late failure handler changes nothing", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const key = "audit/run:evt-final";
    const [done] = await r.call("record_audit", completed(key, user.id));
    const [late] = await r.call("record_audit", {
      ...skipped(key, user.id, "retries_exhausted", "run-2"),
      p_status: "failed",
    });
    expect(late).toEqual({ ...done, changed: false });
    expect(
      await db.sql`select 1 from public.audit_transitions where audit_id = ${done!.audit_id}`,
    ).toHaveLength(1);
  });

  it("a retry of the same run with the same outcome adds no history", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const key = "audit/run:evt-same";
    await r.call("record_audit", skipped(key, user.id));
    const [again] = await r.call("record_audit", skipped(key, user.id));
    expect(again).toMatchObject({ status: "skipped", reason: "no_auth_source", changed: false });
    const [row] = await db.sql`select attempts from public.audits where idempotency_key = ${key}`;
    expect(row).toEqual({ attempts: 1 });
    await r.close();
  });

  it("lets exactly one of two racing runs complete a skipped row", async () => {
    const r = createRpcClient(
      createSqlTransport(createSql(db.url, { max: 4, role: "service_role" })),
    );
    const user = await createUser(db.sql);
    const key = "audit/run:evt-rerun-race";
    await r.call("record_audit", skipped(key, user.id));
    const results = await Promise.all(
      ["run-x", "run-y"].map((run) =>
        r.call("record_audit", { ...completed(key, user.id), p_run_id: run }),
      ),
    );
    expect(
      results
        .flat()
        .map((row) => row.changed)
        .sort(),
    ).toEqual([false, true]);
    expect(results.flat().every((row) => row.status === "completed")).toBe(true);
    await r.close();
  });

  it("refuses a key recorded for another user", async () => {
    const r = rpc();
    const [a, b] = [await createUser(db.sql), await createUser(db.sql)];
    await r.call("record_audit", skipped("audit/run:evt-owner", a.id));
    await expect(
      r.call("record_audit", completed("audit/run:evt-owner", b.id)),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    await r.close();
  });

  it("marks a completed audit announced once", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const [done] = await r.call("record_audit", completed("audit/run:evt-ann", user.id));
    const [first] = await r.call("mark_audit_announced", {
      p_audit_id: done!.audit_id,
      p_actor: "system:audit-run",
    });
    const [second] = await r.call("mark_audit_announced", {
      p_audit_id: done!.audit_id,
      p_actor: "system:audit-run",
    });
    expect(second!.announced_at).toEqual(first!.announced_at);
    const [again] = await r.call("record_audit", completed("audit/run:evt-ann", user.id));
    expect(again).toMatchObject({ announced: true, changed: false });
    await r.close();
  });

  it("refuses an audit without a named system actor or a reason for a skip", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    await expect(
      r.call("record_audit", { ...completed("k-actor", user.id), p_actor: "user:x" }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    await expect(
      r.call("record_audit", {
        ...completed("k-skip", user.id),
        p_status: "skipped",
        p_signals: null,
        p_xp: null,
        p_level: null,
        p_reason: null,
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    expect(await db.sql`select 1 from public.audits where user_id = ${user.id}`).toHaveLength(0);
    await r.close();
  });
});

describe("mark_installation_inactive", () => {
  it("marks the installation and records the system actor", async () => {
    const r = rpc();
    const id = await createInstallation(db.sql, { accountId: 123_456 });
    expect(
      await r.call("mark_installation_inactive", {
        p_installation_id: id,
        p_status: "deleted",
        p_reason: "404 on token mint",
        p_actor: "system:audit-run",
      }),
    ).toEqual([{ installation_id: id, status: "deleted" }]);
    const [row] =
      await db.sql`select status, status_reason, updated_by from public.github_installations where id = ${id}`;
    expect(row).toEqual({
      status: "deleted",
      status_reason: "404 on token mint",
      updated_by: "system:audit-run",
    });
    await r.close();
  });
});
