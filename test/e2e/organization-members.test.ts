import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { organizationExample } from "../support/webhook-examples.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const { db } = stack;
const FN = `${INNGEST_APP_ID}-organization-members`;
let seq = 0;

/** An organisation installation (installed by an admin) with one repository. */
async function arrangeOrganisation() {
  const s = stack.arrangeWebhooks();
  const n = ++seq;
  const admin = await createUser(db.sql, { login: `org-admin-${n}` });
  const member = await createUser(db.sql, { login: `org-member-${n}` });
  const installationId = await createInstallation(db.sql, {
    accountId: 6_600_000 + n,
    accountType: "Organization",
    installedBy: admin.githubId,
  });
  await db.sql`
    insert into public.github_installation_repositories (installation_id, repository_id, full_name, private, updated_by)
    values (${installationId}, ${5_500_000 + n}, ${`org-${n}/widgets`}, false, 'system:test')`;
  return { s, admin, member, installationId, repo: `org-${n}/widgets` };
}

function membership(action: "member_added" | "member_removed", installationId: number, id: number) {
  const payload = organizationExample(action, installationId);
  payload.membership.user = { ...payload.membership.user!, id };
  return JSON.stringify(payload);
}

const reach = async (userId: string) =>
  (
    await db.sql<{ repo_full_name: string }[]>`
      select repo_full_name from public.recommendation_build_context(${userId}::uuid)`
  ).map((r) => r.repo_full_name);

const refreshUsers = async () =>
  (
    await db.sql<
      { user_id: string }[]
    >`select user_id from public.recommendation_refresh_users(null, 5000)`
  ).map((r) => r.user_id);

describe("organization membership gives members the installation's repositories", () => {
  it("member_added gives a member reach, member_removed takes it away, as the system actor naming the delivery", async () => {
    const { s, member, installationId, repo } = await arrangeOrganisation();
    expect(await reach(member.id)).toEqual([]);

    const added = await s.deliver({
      event: "organization",
      body: membership("member_added", installationId, member.githubId),
    });
    expect([added.res.status, added.body["status"]]).toEqual([202, "accepted"]);
    const [run] = (await s.executor.drain()).filter((r) => r.functionId === FN);
    expect(run).toMatchObject({
      status: "completed",
      result: { status: "recorded", member: true },
    });
    expect(await reach(member.id)).toEqual([repo]);
    expect(await refreshUsers()).toContain(member.id);
    expect(
      await db.sql`select member, updated_by, last_delivery_id from public.github_installation_members
                    where installation_id = ${installationId}`,
    ).toEqual([
      {
        member: true,
        updated_by: "system:github-installations",
        last_delivery_id: added.deliveryId,
      },
    ]);

    const removed = await s.deliver({
      event: "organization",
      body: membership("member_removed", installationId, member.githubId),
    });
    expect(removed.res.status).toBe(202);
    await s.executor.drain();
    expect(await reach(member.id)).toEqual([]);
    expect(await refreshUsers()).not.toContain(member.id);

    // A rerun of the older member_added changes nothing: the removal is newer.
    const [rerun] = await s.executor.rerun(run!);
    expect(rerun).toMatchObject({ result: { status: "stale", member: false } });
    expect(await reach(member.id)).toEqual([]);
  });

  it("a membership of an installation this service does not know writes nothing", async () => {
    const { s, member } = await arrangeOrganisation();
    await s.deliver({
      event: "organization",
      body: membership("member_added", 987_654_321, member.githubId),
    });
    const [run] = (await s.executor.drain()).filter((r) => r.functionId === FN);
    expect(run).toMatchObject({ result: { status: "unrelated" } });
    expect(
      await db.sql`select 1 from public.github_installation_members where github_user_id = ${member.githubId}`,
    ).toEqual([]);
  });
});
