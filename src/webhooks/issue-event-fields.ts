import { z } from "zod";
import { NEWCOMER_LABELS } from "../recommendations/rank.ts";
import type { ForwardedEventName } from "./forwarded-events.ts";

/** issues.<action> → the event it is forwarded as: the actions that can change a candidate. */
export const ISSUE_ACTIONS: Record<string, ForwardedEventName> = {
  closed: "github/issue.closed",
  assigned: "github/issue.assigned",
  unlabeled: "github/issue.unlabeled",
  deleted: "github/issue.deleted",
  transferred: "github/issue.transferred",
  reopened: "github/issue.reopened",
  unassigned: "github/issue.unassigned",
  labeled: "github/issue.labeled",
};

// Values are checked by the event's schema; here only where they sit.
const anything = z.unknown().optional();
const issuesPayload = z.object({
  repository: z.object({ id: anything }),
  issue: z.object({
    id: anything,
    number: anything,
    updated_at: anything,
    state: anything,
    assignee: z.unknown().nullable().optional(),
    assignees: z.array(z.unknown()).nullable().optional(),
    labels: z
      .array(z.object({ name: z.string() }))
      .nullable()
      .optional(),
  }),
  assignee: z.object({ id: anything }).nullable().optional(),
});

const newcomer = new Set(NEWCOMER_LABELS.map((l) => l.toLowerCase()));

/**
 * The identifier-only fields of an `issues` delivery and the verdict the candidate search
 * would reach on the issue as the payload shows it now: open, unassigned, with a newcomer
 * label. Deleted or transferred: never a candidate here. Labels, titles and logins stay out.
 */
export function issueEventFields(action: string, payload: unknown): Record<string, unknown> {
  const parsed = issuesPayload.safeParse(payload);
  if (!parsed.success) return {};
  const { issue, repository } = parsed.data;
  const gone = action === "deleted" || action === "transferred";
  const eligible =
    !gone &&
    issue.state === "open" &&
    !issue.assignee &&
    (issue.assignees ?? []).length === 0 &&
    (issue.labels ?? []).some((l) => newcomer.has(l.name.toLowerCase()));
  return {
    repositoryId: repository.id,
    issueId: issue.id,
    issueNumber: issue.number,
    issueUpdatedAt: issue.updated_at,
    eligible,
    ...(action === "assigned" ? { assigneeId: parsed.data.assignee?.id } : {}),
  };
}
