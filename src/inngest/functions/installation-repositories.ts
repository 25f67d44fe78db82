import type { AppInngest } from "../client.ts";
import { githubInstallationRepositoriesChanged } from "../github-events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { type InstallationFunctionDeps, PER_INSTALLATION } from "./installation-created.ts";
import { syncRepositories } from "./installation-sync.ts";

/** installation_repositories added/removed: re-read the installation's list from GitHub. */
export function createInstallationRepositories(
  inngest: AppInngest,
  deps: InstallationFunctionDeps,
) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "installation-repositories",
      triggers: [githubInstallationRepositoriesChanged],
      retries: 4,
      concurrency: [PER_INSTALLATION],
    },
    async ({ event, step }) =>
      step.run("sync-repositories", () =>
        syncRepositories(
          { rpc, github: deps.github },
          event.data.installationId,
          event.data.deliveryId,
        ),
      ),
  );
}
