import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { CANDIDATES_FRESH_SECONDS } from "./refresh-candidates.ts";

export interface StaleInstallation {
  installationId: number;
  repositories: string[];
}

/** The user's repositories whose candidates are older than the freshness window, per installation. */
export async function staleRepositories(
  rpc: RpcClient,
  userId: string,
): Promise<StaleInstallation[]> {
  const rows = await rpc.call("recommendation_build_context", { p_user_id: userId });
  const freshSince = Date.now() - CANDIDATES_FRESH_SECONDS * 1000;
  const byInstallation = new Map<number, string[]>();
  for (const row of rows) {
    if (row.fetched_at && row.fetched_at.getTime() > freshSince) continue;
    const list = byInstallation.get(row.installation_id) ?? [];
    list.push(row.repo_full_name);
    byInstallation.set(row.installation_id, list);
  }
  return [...byInstallation].map(([installationId, repositories]) => ({
    installationId,
    repositories,
  }));
}
