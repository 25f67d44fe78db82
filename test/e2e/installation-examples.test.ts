import { describe, expect, it } from "vitest";
import { forwardedEventId } from "../../src/inngest/github-events.ts";
import { createInstallation } from "../support/fixtures.ts";
import {
  expectedForward,
  installationExamples,
  type ShippedRepository,
  type WebhookExample,
} from "../support/webhook-examples.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const { db } = stack;
const examples = installationExamples();
const ACTOR = "system:github-installations";

/** A repository the installation had before the delivery, and keeps. */
const kept = (login: string): ShippedRepository => ({
  id: 990_001,
  name: "kept",
  full_name: `${login}/kept`,
  private: true,
});

const STATUS_AFTER: Record<string, string> = {
  created: "active",
  deleted: "deleted",
  suspend: "suspended",
  unsuspend: "active",
  new_permissions_accepted: "active",
};

/**
 * What the database and GitHub hold before the example is delivered, and the repository
 * list expected after it: a re-read of what GitHub lists then.
 */
async function arrangeBefore(
  example: WebhookExample,
  listOnGitHub: (repos: ShippedRepository[]) => void,
): Promise<ShippedRepository[]> {
  const { payload } = example;
  const { id, account } = payload.installation;
  // Examples share installation ids: each starts from nothing.
  await db.sql`delete from public.github_installations where id = ${id}`;
  if (payload.action === "created") {
    listOnGitHub(payload.repositories ?? []);
    return payload.repositories ?? [];
  }
  await createInstallation(db.sql, {
    id,
    accountId: account.id,
    accountLogin: account.login,
    status: payload.action === "unsuspend" ? "suspended" : "active",
  });
  const removed = payload.repositories_removed ?? [];
  const before = [kept(account.login), ...removed];
  for (const r of before) {
    await db.sql`
      insert into public.github_installation_repositories (installation_id, repository_id, full_name, private, updated_by)
      values (${id}, ${r.id}, ${r.full_name}, ${r.private}, 'system:test')`;
  }
  const after = [kept(account.login), ...(payload.repositories_added ?? [])];
  listOnGitHub(after);
  return example.event === "installation_repositories" ? after : before;
}

describe("every shipped installation example, delivered over HTTP and run through the functions", () => {
  it.each(examples.map((e) => [e.label, e] as const))(
    "%s: the installation and repository rows, each naming the actor and the delivery",
    async (_label, example) => {
      const s = stack.arrangeWebhooks();
      const { payload } = example;
      const { id, account } = payload.installation;
      const expectedRepositories = await arrangeBefore(example, (repos) =>
        s.fake.state.repositories.set(
          id,
          repos.map((r) => ({ id: r.id, full_name: r.full_name, private: r.private })),
        ),
      );

      const { res, deliveryId } = await s.deliver({
        event: example.event,
        body: JSON.stringify(payload),
      });
      expect(res.status).toBe(202);
      const expected = expectedForward(example, deliveryId);
      expect(s.forwarded()).toEqual([
        { name: expected.name, id: forwardedEventId(deliveryId), data: expected.data },
      ]);
      const runs = await s.executor.drain();
      expect(runs.map((r) => r.status)).toEqual(["completed"]);

      const [installation] = await db.sql`
        select status, account_id, account_login, installed_by_github_id, updated_by, last_delivery_id
          from public.github_installations where id = ${id}`;
      expect(installation).toEqual({
        status:
          example.event === "installation_repositories" ? "active" : STATUS_AFTER[payload.action],
        account_id: account.id,
        account_login: account.login,
        installed_by_github_id: payload.action === "created" ? payload.sender.id : account.id,
        updated_by: ACTOR,
        last_delivery_id: deliveryId,
      });
      const repositories = await db.sql`
        select repository_id, full_name, private, updated_by, last_delivery_id
          from public.github_installation_repositories where installation_id = ${id}
         order by repository_id`;
      // Rows GitHub listed anew are written by this delivery; a row it kept is left as it was.
      const isKept = (r: ShippedRepository) => r.id === kept(account.login).id;
      expect(repositories).toEqual(
        [...expectedRepositories]
          .sort((a, b) => a.id - b.id)
          .map((r) => ({
            repository_id: r.id,
            full_name: r.full_name,
            private: r.private,
            updated_by: isKept(r) ? "system:test" : ACTOR,
            last_delivery_id: isKept(r) ? null : deliveryId,
          })),
      );
    },
  );
});
