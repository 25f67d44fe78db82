import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const ACTOR = "system:github-installations";

type User = { id: string; login: string; githubId: number };

function created(
  installationId: number,
  account: User,
  sender = account,
  deliveryId = randomUUID(),
) {
  return {
    name: "github/installation.created",
    id: `github-delivery:${deliveryId}`,
    data: {
      deliveryId,
      installationId,
      accountId: account.githubId,
      accountLogin: account.login,
      accountType: "User",
      senderId: sender.githubId,
    },
  };
}

function installationEvent(name: string, installationId: number, deliveryId = randomUUID()) {
  return {
    name,
    id: `github-delivery:${deliveryId}`,
    data: { deliveryId, installationId },
  };
}

async function installation(id: number) {
  const [row] = await db.sql`
    select account_id, account_login, account_type, installed_by_github_id, status, updated_by, last_delivery_id
      from public.github_installations where id = ${id}`;
  return row;
}

async function repositories(id: number) {
  return db.sql<
    { repository_id: number; full_name: string; private: boolean; updated_by: string }[]
  >`
    select repository_id, full_name, private, updated_by from public.github_installation_repositories
     where installation_id = ${id} order by repository_id`;
}

describe("installation created", () => {
  it("closes the first-login race: sign-in before the App, then the webhook audits the user", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    expect((await s.action("bootstrap-profile", token)).status).toBe(200);
    await s.executor.drain();
    const [before] =
      await db.sql`select status, reason from public.audits where user_id = ${user.id}`;
    expect(before).toEqual({ status: "skipped", reason: "no_auth_source" });

    const installationId = 81_000_001;
    s.fake.state.repositories.set(installationId, [
      { id: 501, full_name: `${user.login}/one`, private: false },
      { id: 502, full_name: `${user.login}/two`, private: true },
    ]);
    const evt = created(installationId, user);
    await s.executor.send(evt);

    expect(await installation(installationId)).toEqual({
      account_id: user.githubId,
      account_login: user.login,
      account_type: "User",
      installed_by_github_id: user.githubId,
      status: "active",
      updated_by: ACTOR,
      last_delivery_id: evt.data.deliveryId,
    });
    expect(await repositories(installationId)).toEqual([
      { repository_id: 501, full_name: `${user.login}/one`, private: false, updated_by: ACTOR },
      { repository_id: 502, full_name: `${user.login}/two`, private: true, updated_by: ACTOR },
    ]);
    const audits = await db.sql`
      select status, installation_id from public.audits where user_id = ${user.id} order by id`;
    expect(audits).toEqual([
      { status: "skipped", installation_id: null },
      { status: "completed", installation_id: installationId },
    ]);
    const queued = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(queued.map((e) => e.event.id)).toContain(
      `audit-run:${user.id}:installation:${installationId}`,
    );
  });

  it("links the installer of an organization installation; a redelivery queues nothing more", async () => {
    const s = stack.arrange();
    const installer = await createUser(db.sql);
    const org = { id: randomUUID(), login: "octo-org", githubId: 91_000_001 };
    const deliveryId = randomUUID();
    await s.executor.send(created(81_000_002, org, installer, deliveryId));
    const queued = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(queued.map((e) => e.event.data)).toEqual([
      expect.objectContaining({ userId: installer.id, installationId: 81_000_002 }),
    ]);

    // A redelivery (same delivery id) changes nothing and queues nothing more.
    const again = await s.executor.send(created(81_000_002, org, installer, deliveryId));
    expect(again).toEqual([]);
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/run")).toHaveLength(1);
  });

  it("is idempotent under a dashboard rerun: the same rows, no second audit", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    s.fake.state.repositories.set(81_000_003, [{ id: 601, full_name: "a/b", private: false }]);
    const [run] = await s.executor.send(created(81_000_003, user));
    const rows = [await installation(81_000_003), await repositories(81_000_003)];
    await s.executor.rerun(run!);
    expect([await installation(81_000_003), await repositories(81_000_003)]).toEqual(rows);
    const audits = await db.sql`select status from public.audits where user_id = ${user.id}`;
    expect(audits).toEqual([{ status: "completed" }]);
  });
});

describe("installation status and repositories", () => {
  it("deleted and suspended installations end later audits as skipped, never retried", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const gone = await createInstallation(db.sql, { accountId: user.githubId });
    const evt = installationEvent("github/installation.deleted", gone);
    await s.executor.send(evt);
    expect(await installation(gone)).toMatchObject({
      status: "deleted",
      updated_by: ACTOR,
      last_delivery_id: evt.data.deliveryId,
    });

    const [audit] = await s.executor.send({
      name: "audit/run",
      id: `audit-run:${user.id}:after-delete`,
      data: {
        userId: user.id,
        githubLogin: user.login,
        githubId: user.githubId,
        installationId: gone,
      },
    });
    expect(audit).toMatchObject({
      status: "completed",
      result: { status: "skipped", reason: "installation_unavailable" },
    });
    expect(audit!.attempts.every((a) => a.attempt === 0)).toBe(true);
    expect(s.fake.state.requests.mint).toBe(0);

    const paused = await createUser(db.sql);
    const held = await createInstallation(db.sql, { accountId: paused.githubId });
    const suspension = installationEvent("github/installation.suspended", held);
    await s.executor.send(suspension);
    expect(await installation(held)).toMatchObject({
      status: "suspended",
      updated_by: ACTOR,
      last_delivery_id: suspension.data.deliveryId,
    });
    const [suspendedAudit] = await s.executor.send({
      name: "audit/run",
      id: `audit-run:${paused.id}:after-suspend`,
      data: {
        userId: paused.id,
        githubLogin: paused.login,
        githubId: paused.githubId,
        installationId: held,
      },
    });
    expect(suspendedAudit).toMatchObject({
      status: "completed",
      result: { status: "skipped", reason: "installation_unavailable" },
    });
    expect(suspendedAudit!.attempts.every((a) => a.attempt === 0)).toBe(true);
    expect(s.fake.state.requests.mint).toBe(0);
  });

  it("a sign-in after the deletion webhook ends its audit as skipped, never retried", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const gone = await createInstallation(db.sql, { accountId: user.githubId });
    await s.executor.send(installationEvent("github/installation.deleted", gone));

    expect((await s.action("bootstrap-profile", await s.userToken(user))).status).toBe(200);
    const runs = await s.executor.drain();
    const audits = runs.filter((r) => r.functionId.endsWith("-audit-run"));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ status: "completed", result: { status: "skipped" } });
    expect(audits[0]!.attempts.every((a) => a.attempt === 0)).toBe(true);
    const rows = await db.sql`select status, reason from public.audits where user_id = ${user.id}`;
    expect(rows).toEqual([{ status: "skipped", reason: "no_auth_source" }]);
    expect(s.fake.state.requests.mint).toBe(0);
  });

  it("suspend and unsuspend toggle the status; permissions accepted records the delivery", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const id = await createInstallation(db.sql, { accountId: user.githubId });
    await s.executor.send(installationEvent("github/installation.suspended", id));
    expect(await installation(id)).toMatchObject({ status: "suspended" });
    await s.executor.send(installationEvent("github/installation.unsuspended", id));
    expect(await installation(id)).toMatchObject({ status: "active" });
    const accepted = installationEvent("github/installation.permissions-accepted", id);
    await s.executor.send(accepted);
    expect(await installation(id)).toMatchObject({
      status: "active",
      last_delivery_id: accepted.data.deliveryId,
    });
  });

  it("re-reads the repository list from GitHub when repositories are added or removed", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const id = await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.repositories.set(id, [
      { id: 701, full_name: "o/one", private: false },
      { id: 702, full_name: "o/two", private: false },
    ]);
    await s.executor.send(installationEvent("github/installation-repositories.changed", id));
    expect((await repositories(id)).map((r) => r.repository_id)).toEqual([701, 702]);
    s.fake.state.repositories.set(id, [{ id: 702, full_name: "o/two-renamed", private: true }]);
    const removal = installationEvent("github/installation-repositories.changed", id);
    await s.executor.send(removal);
    expect(await repositories(id)).toEqual([
      { repository_id: 702, full_name: "o/two-renamed", private: true, updated_by: ACTOR },
    ]);
    // Repository 701's row is gone: the installation names who removed it, and from which delivery.
    expect(await installation(id)).toMatchObject({
      updated_by: ACTOR,
      last_delivery_id: removal.data.deliveryId,
    });
  });

  it("ignores events for an installation it never recorded, writing nothing", async () => {
    const s = stack.arrange();
    const [run] = await s.executor.send(
      installationEvent("github/installation.suspended", 81_999_999),
    );
    expect(run).toMatchObject({ status: "completed", result: { status: "unknown_installation" } });
    expect(await installation(81_999_999)).toBeUndefined();
  });
});

describe("installation created for an organisation: its members", () => {
  const orgCreated = (installationId: number, login: string, installer: User) => {
    const evt = created(
      installationId,
      { id: randomUUID(), login, githubId: 92_000_000 + (installationId % 1000) },
      installer,
    );
    return { ...evt, data: { ...evt.data, accountType: "Organization" } };
  };
  const members = (installationId: number) =>
    db.sql<{ github_user_id: number; member: boolean; updated_by: string }[]>`
      select github_user_id, member, updated_by from public.github_installation_members
       where installation_id = ${installationId} order by github_user_id`;

  it("records the members GitHub lists, so they reach its repositories; a rerun changes nothing", async () => {
    const s = stack.arrange();
    const installer = await createUser(db.sql);
    const member = await createUser(db.sql);
    s.fake.state.orgMembers.set("members-org", [member.githubId, 4_242]);
    s.fake.state.repositories.set(81_000_101, [
      { id: 611, full_name: "members-org/app", private: false },
    ]);
    const [run] = await s.executor.send(orgCreated(81_000_101, "members-org", installer));
    expect(run).toMatchObject({
      status: "completed",
      result: { members: { status: "synced", members: 2 } },
    });
    expect(await members(81_000_101)).toEqual(
      [member.githubId, 4_242]
        .sort((a, b) => a - b)
        .map((id) => ({
          github_user_id: id,
          member: true,
          updated_by: ACTOR,
        })),
    );
    const reach =
      await db.sql`select repo_full_name from public.recommendation_build_context(${member.id}::uuid)`;
    expect(reach).toEqual([{ repo_full_name: "members-org/app" }]);

    const before = await members(81_000_101);
    await s.executor.rerun(run!);
    expect(await members(81_000_101)).toEqual(before);
    // The installation token that listed them is nowhere Inngest stores anything.
    expect(s.fake.state.requests["org-members"]).toBe(2);
    const stored = s.executor.storedText();
    for (const secret of s.secrets()) expect(stored.includes(secret)).toBe(false);
  });

  it("without the Members permission (GitHub 403) records none and still completes", async () => {
    const s = stack.arrange();
    const installer = await createUser(db.sql);
    s.fake.state.orgMembers.set("private-org", "forbidden");
    const [run] = await s.executor.send(orgCreated(81_000_102, "private-org", installer));
    expect(run).toMatchObject({
      status: "completed",
      result: { members: { status: "skipped", reason: "members_not_permitted" } },
    });
    expect(await members(81_000_102)).toEqual([]);
  });

  it("reads the members once the permissions are accepted, when the Members permission came late", async () => {
    const s = stack.arrange();
    const installer = await createUser(db.sql);
    s.fake.state.orgMembers.set("late-org", "forbidden");
    await s.executor.send(orgCreated(81_000_103, "late-org", installer));
    expect(await members(81_000_103)).toEqual([]);

    s.fake.state.orgMembers.set("late-org", [5_151]);
    const [run] = await s.executor.send(
      installationEvent("github/installation.permissions-accepted", 81_000_103),
    );
    expect(run).toMatchObject({
      status: "completed",
      result: { installationStatus: "active", members: { status: "synced", members: 1 } },
    });
    expect(await members(81_000_103)).toEqual([
      { github_user_id: 5_151, member: true, updated_by: ACTOR },
    ]);
  });
});
