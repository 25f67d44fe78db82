import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** A repository as installation payloads list it (the fields tests read). */
export interface ShippedRepository {
  id: number;
  name: string;
  full_name: string;
  private: boolean;
}

export interface WebhookExample {
  /** X-GitHub-Event */
  event: "installation" | "installation_repositories";
  /** `<event>.<action> (<folder>#<n>)`, for test names. */
  label: string;
  payload: Record<string, unknown> & {
    action: string;
    installation: { id: number; account: { id: number; login: string; type: string } };
    sender: { id: number; login: string; avatar_url: string };
    repositories?: ShippedRepository[];
    repositories_added?: ShippedRepository[];
    repositories_removed?: ShippedRepository[];
  };
}

const FOLDERS = ["api.github.com", "ghes-31", "ghes-32", "ghes-33", "ghes-34", "ghes-35"];

/**
 * Every `installation` and `installation_repositories` example shipped in
 * @octokit/webhooks-examples (github.com and each GHES version), without repeats.
 */
export function installationExamples(): WebhookExample[] {
  const root = path.dirname(
    createRequire(import.meta.url).resolve("@octokit/webhooks-examples/package.json"),
  );
  const seen = new Set<string>();
  const examples: WebhookExample[] = [];
  for (const folder of FOLDERS) {
    const index = JSON.parse(readFileSync(path.join(root, folder, "index.json"), "utf8")) as {
      name: string;
      examples: WebhookExample["payload"][];
    }[];
    for (const entry of index) {
      if (entry.name !== "installation" && entry.name !== "installation_repositories") continue;
      entry.examples.forEach((payload, n) => {
        const text = JSON.stringify(payload);
        if (seen.has(text)) return;
        seen.add(text);
        const label = `${entry.name}.${payload.action} (${folder}#${n})`;
        examples.push({ event: entry.name as WebhookExample["event"], label, payload });
      });
    }
  }
  return examples;
}

/** The event a delivery of this example must be forwarded as, and its data. */
export function expectedForward(example: WebhookExample, deliveryId: string) {
  const { payload } = example;
  const installationId = payload.installation.id;
  if (example.event === "installation_repositories") {
    return {
      name: "github/installation-repositories.changed",
      data: { deliveryId, installationId },
    };
  }
  const names: Record<string, string> = {
    created: "github/installation.created",
    deleted: "github/installation.deleted",
    suspend: "github/installation.suspended",
    unsuspend: "github/installation.unsuspended",
    new_permissions_accepted: "github/installation.permissions-accepted",
  };
  const name = names[payload.action];
  if (!name) throw new Error(`no expectation for installation.${payload.action}`);
  if (payload.action !== "created") return { name, data: { deliveryId, installationId } };
  return {
    name,
    data: {
      deliveryId,
      installationId,
      accountId: payload.installation.account.id,
      accountLogin: payload.installation.account.login,
      accountType: payload.installation.account.type,
      senderId: payload.sender.id,
    },
  };
}

/** Strings from a payload that must never be stored, forwarded or logged. */
export function payloadContent(example: WebhookExample): string[] {
  const { payload } = example;
  const repos = [
    ...(payload.repositories ?? []),
    ...(payload.repositories_added ?? []),
    ...(payload.repositories_removed ?? []),
  ];
  const content = [
    payload.sender.avatar_url,
    ...repos.flatMap((r) => [r.full_name, `"${r.name}"`]),
  ];
  // The account login is forwarded with installation.created (a public account name).
  if (payload.action !== "created") content.push(`"${payload.sender.login}"`);
  return content;
}

/** An `issues` payload as shipped, with the fields the freshness mapping reads. */
export interface IssuesPayload extends Record<string, unknown> {
  action: string;
  installation?: { id: number };
  repository: Record<string, unknown> & { id: number; full_name: string; name: string };
  issue: Record<string, unknown> & {
    id: number;
    number: number;
    title: string;
    state: string;
    updated_at: string;
    labels: Record<string, unknown>[];
    assignee: Record<string, unknown> | null;
    assignees: Record<string, unknown>[];
  };
  assignee?: Record<string, unknown> & { id: number; login: string };
  sender: Record<string, unknown> & { id: number; login: string };
}

/**
 * A deep copy of a shipped `issues.<action>` example (github.com's, preferring one with an
 * installation). The package ships no `issues.closed`: it is the `reopened` example with
 * the action and state GitHub sends on closing.
 */
export function issuesExample(action: string): IssuesPayload {
  const root = path.dirname(
    createRequire(import.meta.url).resolve("@octokit/webhooks-examples/package.json"),
  );
  const index = JSON.parse(
    readFileSync(path.join(root, "api.github.com", "index.json"), "utf8"),
  ) as { name: string; examples: IssuesPayload[] }[];
  const issues = index.find((e) => e.name === "issues")!.examples;
  const wanted = action === "closed" ? "reopened" : action;
  const found =
    issues.find((p) => p.action === wanted && p.installation) ??
    issues.find((p) => p.action === wanted);
  if (!found) throw new Error(`@octokit/webhooks-examples has no issues.${wanted}`);
  const payload = structuredClone(found);
  if (action === "closed") {
    payload.action = "closed";
    payload.issue.state = "closed";
  }
  return payload;
}

export interface OrganizationPayload {
  action: string;
  installation?: { id: number };
  membership: { user: { id: number } | null; role?: string; state?: string };
  organization: { id: number; login: string };
  [key: string]: unknown;
}

/**
 * A shipped `organization` example as a GitHub App receives it (with an installation).
 * @octokit/webhooks-examples ships member_added only: member_removed is that example with
 * its action changed, which is all that differs in what the intake reads.
 */
export function organizationExample(
  action: "member_added" | "member_removed",
  installationId = 42,
): OrganizationPayload {
  const root = path.dirname(
    createRequire(import.meta.url).resolve("@octokit/webhooks-examples/package.json"),
  );
  const index = JSON.parse(
    readFileSync(path.join(root, "api.github.com", "index.json"), "utf8"),
  ) as { name: string; examples: OrganizationPayload[] }[];
  const found = index
    .find((e) => e.name === "organization")!
    .examples.find((p) => p.action === "member_added");
  if (!found) throw new Error("@octokit/webhooks-examples has no organization.member_added");
  return { ...structuredClone(found), action, installation: { id: installationId } };
}
