import { z } from "zod";
import {
  checkForwardedData,
  type ForwardedData,
  type ForwardedEventName,
} from "./forwarded-events.ts";
import { ISSUE_ACTIONS, issueEventFields } from "./issue-event-fields.ts";

/** What a delivery becomes: an event to forward, or nothing this service handles. */
export type WebhookRoute =
  | {
      kind: "forward";
      action: string | null;
      installationId: number;
      event: { name: ForwardedEventName; data: ForwardedData };
    }
  | { kind: "ignored"; action: string | null; installationId: number | null }
  /** A handled event whose payload lacks what its event needs; `fields` names what failed. */
  | { kind: "invalid"; action: string | null; fields: string[] };

const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Only the fields read below; the rest of the payload is never looked at. */
const envelope = z.object({
  action: z.string().max(100).optional().catch(undefined),
  installation: z.object({ id: positiveId }).optional().catch(undefined),
});

// Values are checked by the event's schema; here only where they sit.
const anything = z.unknown().optional();
const createdPayload = z.object({
  installation: z.object({
    // Enterprise accounts carry a slug instead of a login.
    account: z.object({ id: anything, login: anything, slug: anything, type: anything }),
  }),
  sender: z.object({ id: anything }),
});

/** installation.<action> → the event it is forwarded as. */
const INSTALLATION_ACTIONS: Record<string, ForwardedEventName> = {
  created: "github/installation.created",
  deleted: "github/installation.deleted",
  suspend: "github/installation.suspended",
  unsuspend: "github/installation.unsuspended",
  new_permissions_accepted: "github/installation.permissions-accepted",
};
const REPOSITORY_ACTIONS: Record<string, ForwardedEventName> = {
  added: "github/installation-repositories.changed",
  removed: "github/installation-repositories.changed",
};

/** organization.<action>: the membership changes (invitations change nothing yet). */
const ORGANIZATION_ACTIONS: Record<string, ForwardedEventName> = {
  member_added: "github/organization-member.added",
  member_removed: "github/organization-member.removed",
};
const memberPayload = z.object({ membership: z.object({ user: z.object({ id: anything }) }) });

const TABLES: Record<string, Record<string, ForwardedEventName>> = {
  installation: INSTALLATION_ACTIONS,
  installation_repositories: REPOSITORY_ACTIONS,
  issues: ISSUE_ACTIONS,
  organization: ORGANIZATION_ACTIONS,
};

/**
 * Maps a verified delivery (the X-GitHub-Event name and the parsed payload) to the
 * identifier-only event it is forwarded as. Pure. The data is checked against the event's
 * strict schema, so nothing else from the payload can ride along.
 */
export function mapGitHubWebhook(
  event: string,
  deliveryId: string,
  payload: unknown,
): WebhookRoute {
  const head = envelope.safeParse(payload);
  const action = head.success ? (head.data.action ?? null) : null;
  const installationId = head.success ? (head.data.installation?.id ?? null) : null;
  const table = Object.hasOwn(TABLES, event) ? TABLES[event]! : {};
  // hasOwn: an action named "constructor" or "__proto__" is not a mapping.
  const target = action !== null && Object.hasOwn(table, action) ? table[action] : undefined;
  if (!target) return { kind: "ignored", action, installationId };

  const data: Record<string, unknown> = { deliveryId, installationId };
  if (target === "github/installation.created") Object.assign(data, createdFields(payload));
  if (event === "issues") Object.assign(data, issueEventFields(action!, payload));
  if (event === "organization") Object.assign(data, memberFields(payload));
  const checked = checkForwardedData(target, data, deliveryId);
  if (!checked.ok || installationId === null) {
    return { kind: "invalid", action, fields: checked.ok ? ["installationId"] : checked.fields };
  }
  return { kind: "forward", action, installationId, event: { name: target, data: checked.data } };
}

function memberFields(payload: unknown): Record<string, unknown> {
  const parsed = memberPayload.safeParse(payload);
  return parsed.success ? { memberId: parsed.data.membership.user.id } : {};
}

function createdFields(payload: unknown): Record<string, unknown> {
  const parsed = createdPayload.safeParse(payload);
  if (!parsed.success) return {};
  const { account } = parsed.data.installation;
  return {
    accountId: account.id,
    accountLogin: account.login ?? account.slug,
    accountType: account.type,
    senderId: parsed.data.sender.id,
  };
}
