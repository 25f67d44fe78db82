import type { AppInngest } from "../client.ts";
import {
  githubOrganizationMemberAdded,
  githubOrganizationMemberRemoved,
} from "../github-events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { type InstallationFunctionDeps, PER_INSTALLATION } from "./installation-created.ts";
import { INSTALLATIONS_ACTOR } from "./installation-sync.ts";

/**
 * organization member_added / member_removed: records who, besides its account and
 * installer, reaches the installation's repositories for recommendations. One RPC, ordered
 * by when the intake received the delivery, so redelivery, retry, rerun and deliveries
 * applied out of order converge.
 */
export function createOrganizationMembers(
  inngest: AppInngest,
  deps: Pick<InstallationFunctionDeps, "rpc">,
) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "organization-members",
      triggers: [githubOrganizationMemberAdded, githubOrganizationMemberRemoved],
      retries: 4,
      concurrency: [PER_INSTALLATION],
    },
    async ({ event, step }) => {
      const member = event.name === githubOrganizationMemberAdded.name;
      const [row] = await step.run("apply-membership", () =>
        rpc.call("apply_installation_member", {
          p_installation_id: event.data.installationId,
          p_github_user_id: event.data.memberId,
          p_member: member,
          p_delivery_id: event.data.deliveryId,
          p_actor: INSTALLATIONS_ACTOR,
        }),
      );
      return { status: row?.status ?? "unrelated", member: row?.member ?? null };
    },
  );
}
