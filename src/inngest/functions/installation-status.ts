import { NonRetriableError } from "inngest";
import type { AppInngest } from "../client.ts";
import {
  githubInstallationDeleted,
  githubInstallationPermissionsAccepted,
  githubInstallationSuspended,
  githubInstallationUnsuspended,
} from "../github-events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { type InstallationFunctionDeps, PER_INSTALLATION } from "./installation-created.ts";
import { INSTALLATIONS_ACTOR, syncMembers } from "./installation-sync.ts";

/** What each event does to the installation's status (null: record the delivery only). */
const TRANSITIONS = new Map<
  string,
  { status: "active" | "suspended" | "deleted" | null; reason: string | null }
>([
  [githubInstallationDeleted.name, { status: "deleted", reason: "deleted on GitHub" }],
  [githubInstallationSuspended.name, { status: "suspended", reason: "suspended on GitHub" }],
  [githubInstallationUnsuspended.name, { status: "active", reason: null }],
  [githubInstallationPermissionsAccepted.name, { status: null, reason: null }],
]);

/**
 * deleted / suspend / unsuspend / new_permissions_accepted. Deletion is final in the
 * database, so a late or replayed suspend/unsuspend never revives a deleted installation.
 * Accepted permissions re-read an organisation's members (the Members permission may be new).
 * Audits only use active installations, so later ones end skipped, never retried.
 */
export function createInstallationStatus(
  inngest: AppInngest,
  deps: Pick<InstallationFunctionDeps, "rpc" | "github">,
) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "installation-status",
      triggers: [
        githubInstallationDeleted,
        githubInstallationSuspended,
        githubInstallationUnsuspended,
        githubInstallationPermissionsAccepted,
      ],
      retries: 4,
      concurrency: [PER_INSTALLATION],
    },
    async ({ event, step }) => {
      // The union also holds inngest/function.invoked: this function is never invoked directly.
      const transition = TRANSITIONS.get(event.name);
      if (!transition)
        throw new NonRetriableError(`[installations] unexpected event ${event.name}`);
      const [row] = await step.run("set-status", () =>
        rpc.call("set_github_installation_status", {
          p_installation_id: event.data.installationId,
          p_status: transition.status,
          p_reason: transition.reason,
          p_delivery_id: event.data.deliveryId,
          p_actor: INSTALLATIONS_ACTOR,
        }),
      );
      if (!row) return { status: "unknown_installation" as const };
      // Newly granted permissions may include Members: read the organisation's list now.
      const members =
        event.name === githubInstallationPermissionsAccepted.name && row.status === "active"
          ? await step.run("sync-members", async () => {
              const [account] = await rpc.call("installation_account", {
                p_installation_id: event.data.installationId,
              });
              if (account?.account_type !== "Organization") return null;
              return syncMembers(
                { rpc, github: deps.github },
                event.data.installationId,
                account.account_login,
                event.data.deliveryId,
              );
            })
          : null;
      return { status: "recorded" as const, installationStatus: row.status, members };
    },
  );
}
