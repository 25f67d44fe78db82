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
  it("honours an event's installation only when it is active and linked to the user", async () => {
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
      (await r.call("audit_context", { p_user_id: user.id, p_installation_id }))[0]!
        .installation_id;
    expect(await pick(org)).toBe(org);
    expect(await pick(null)).toBe(own);
    expect(await pick(foreign)).toBe(own);
    expect(await pick(suspended)).toBe(own);
    await r.close();
  });
});

describe("record_audit", () => {
  it("writes one row per idempotency key and updates the profile once", async () => {
    const r = rpc();
    const user = await createUser(db.sql);
    const first = await r.call("record_audit", completed("audit/run:evt-1", user.id));
    const again = await r.call("record_audit", {
      ...completed("audit/run:evt-1", user.id),
      p_xp: 1000,
      p_level: 2,
    });
    expect(first[0]!.created).toBe(true);
    expect(again).toEqual([{ audit_id: first[0]!.audit_id, created: false }]);
    expect(
      await db.sql`select xp, level, created_by from public.audits where user_id = ${user.id}`,
    ).toEqual([{ xp: 500, level: 2, created_by: "system:audit-run" }]);
    const [profile] =
      await db.sql`select xp, level, audited_at is not null as audited, updated_by from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ xp: 500, level: 2, audited: true, updated_by: "system:audit-run" });
    const [ctx] = await r.call("audit_context", { p_user_id: user.id, p_installation_id: null });
    expect(ctx!.audited).toBe(true);
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
    expect(results.flat().filter((row) => row.created)).toHaveLength(1);
    expect(new Set(results.flat().map((row) => row.audit_id)).size).toBe(1);
    expect(
      await db.sql`select 1 from public.audits where idempotency_key = 'audit/run:evt-race'`,
    ).toHaveLength(1);
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
