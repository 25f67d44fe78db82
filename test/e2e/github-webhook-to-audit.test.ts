import { describe, expect, it } from "vitest";
import { createUser } from "../support/fixtures.ts";
import { installationExamples, type WebhookExample } from "../support/webhook-examples.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const { db } = stack;
const examples = installationExamples();

/** A shipped example, re-targeted at one installation and one GitHub account. */
function example(
  event: WebhookExample["event"],
  action: string,
  target: { installationId: number; accountId: number; login: string },
): string {
  const found = examples.find((e) => e.event === event && e.payload.action === action)!;
  const payload = structuredClone(found.payload);
  payload.installation.id = target.installationId;
  payload.installation.account = {
    ...payload.installation.account,
    id: target.accountId,
    login: target.login,
    type: "User",
  };
  payload.sender = { ...payload.sender, id: target.accountId, login: target.login };
  return JSON.stringify(payload);
}

async function installationRow(id: number) {
  const [row] = await db.sql`
    select status, account_id, updated_by from public.github_installations where id = ${id}`;
  return row;
}

describe("GitHub webhooks drive installations end to end", () => {
  it("closes the first-login race over HTTP: sign-in, then the installation webhook audits the user", async () => {
    const s = stack.arrangeWebhooks();
    const user = await createUser(db.sql);
    expect((await s.action("bootstrap-profile", await s.userToken(user))).status).toBe(200);
    await s.executor.drain();

    const target = { installationId: 82_000_001, accountId: user.githubId, login: user.login };
    const { res } = await s.deliver({
      event: "installation",
      body: example("installation", "created", target),
    });
    expect(res.status).toBe(202);
    await s.executor.drain();

    expect(await installationRow(target.installationId)).toEqual({
      status: "active",
      account_id: user.githubId,
      updated_by: "system:github-installations",
    });
    const audits = await db.sql`
      select status, reason, installation_id from public.audits where user_id = ${user.id} order by id`;
    expect(audits).toEqual([
      { status: "skipped", reason: "no_auth_source", installation_id: null },
      { status: "completed", reason: null, installation_id: target.installationId },
    ]);
    for (const secret of s.secrets()) {
      expect(s.executor.storedText().includes(secret)).toBe(false);
    }
  });

  it("follows an installation through suspend, unsuspend and delete, from shipped payloads", async () => {
    const s = stack.arrangeWebhooks();
    const owner = { installationId: 82_000_002, accountId: 92_000_002, login: "octo-lifecycle" };
    const steps: [string, string | undefined][] = [
      ["created", "active"],
      ["suspend", "suspended"],
      ["unsuspend", "active"],
      ["new_permissions_accepted", "active"],
      ["deleted", "deleted"],
      // A replayed or late event never revives a deleted installation.
      ["unsuspend", "deleted"],
    ];
    for (const [action, status] of steps) {
      const { res } = await s.deliver({
        event: "installation",
        body: example("installation", action, owner),
      });
      expect(res.status, action).toBe(202);
      await s.executor.drain();
      expect(await installationRow(owner.installationId), action).toMatchObject({ status });
    }
    const failed = s.executor.stored.runs.filter((r) => r.status === "failed");
    expect(failed).toEqual([]);
  });
});
