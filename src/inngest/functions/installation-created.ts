import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubInstallationSource } from "../../github/github-app.ts";
import type { AppInngest } from "../client.ts";
import { auditRun } from "../events.ts";
import { githubInstallationCreated } from "../github-events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { INSTALLATIONS_ACTOR, syncMembers, syncRepositories } from "./installation-sync.ts";

export interface InstallationFunctionDeps {
  rpc: RpcClient;
  /** null when no GitHub App is configured: repositories are then not synced. */
  github: GitHubInstallationSource | null;
}

/**
 * At most one step per installation executes at a time (runs may interleave between steps):
 * this paces GitHub calls; correctness comes from the idempotent, row-locking RPCs.
 * installationId is required by every trigger's schema, so the key never collapses.
 */
export const PER_INSTALLATION = { key: "event.data.installationId", limit: 1 } as const;

/**
 * installation.created: upsert the installation and its repositories, then audit the
 * linked users who have none yet (the account's owner, the installer). This closes the
 * first-login race: a user who signed in before installing is audited now, not tomorrow.
 */
export function createInstallationCreated(inngest: AppInngest, deps: InstallationFunctionDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "installation-created",
      triggers: [githubInstallationCreated],
      retries: 4,
      concurrency: [PER_INSTALLATION],
    },
    async ({ event, step }) => {
      const { installationId, deliveryId } = event.data;
      const linked = await step.run("upsert-installation", () =>
        rpc.call("upsert_github_installation", {
          p_installation_id: installationId,
          p_account_id: event.data.accountId,
          p_account_login: event.data.accountLogin,
          p_account_type: event.data.accountType,
          p_installed_by: event.data.senderId,
          p_delivery_id: deliveryId,
          p_actor: INSTALLATIONS_ACTOR,
        }),
      );
      const repositories = await step.run("sync-repositories", () =>
        syncRepositories({ rpc, github: deps.github }, installationId, deliveryId),
      );
      // An organisation's members reach its repositories too; later changes come by webhook.
      const members =
        event.data.accountType === "Organization"
          ? await step.run("sync-members", () =>
              syncMembers(
                { rpc, github: deps.github },
                installationId,
                event.data.accountLogin,
                deliveryId,
              ),
            )
          : null;
      if (linked.length > 0) {
        // An id distinct from sign-in's: a redelivery or rerun queues nothing twice.
        await step.sendEvent(
          "queue-audits",
          linked.map((user) =>
            auditRun.create(
              {
                userId: user.user_id,
                githubLogin: user.github_login,
                githubId: user.github_id,
                installationId,
              },
              { id: `audit-run:${user.user_id}:installation:${installationId}` },
            ),
          ),
        );
      }
      return { installationId, auditsQueued: linked.length, repositories, members };
    },
  );
}
