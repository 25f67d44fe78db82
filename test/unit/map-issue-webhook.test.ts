import { describe, expect, it } from "vitest";
import { mapGitHubWebhook } from "../../src/webhooks/map-github-webhook.ts";
import { issuesExample, type IssuesPayload } from "../support/webhook-examples.ts";

const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

/** A shipped example as a GitHub App receives it (with an installation). */
function example(action: string, change: (p: IssuesPayload) => void = () => {}) {
  const payload = issuesExample(action);
  payload.installation = { id: 42 };
  change(payload);
  return payload;
}

const newcomer = (p: IssuesPayload) => {
  p.issue.labels = [{ name: "Good First Issue" }, { name: "bug" }];
  p.issue.assignee = null;
  p.issue.assignees = [];
};

describe("mapGitHubWebhook: issues", () => {
  it.each([
    "closed",
    "assigned",
    "unlabeled",
    "deleted",
    "transferred",
    "reopened",
    "unassigned",
    "labeled",
  ])("forwards the shipped issues.%s as identifiers and a verdict", (action) => {
    const payload = example(action);
    const route = mapGitHubWebhook("issues", DELIVERY, payload);
    expect(route).toEqual({
      kind: "forward",
      action,
      installationId: 42,
      event: {
        name: `github/issue.${action}`,
        data: {
          deliveryId: DELIVERY,
          installationId: 42,
          repositoryId: payload.repository.id,
          issueId: payload.issue.id,
          issueNumber: payload.issue.number,
          issueUpdatedAt: payload.issue.updated_at,
          eligible: false,
          ...(action === "assigned" ? { assigneeId: payload.assignee!.id } : {}),
        },
      },
    });
    // The shipped issues carry "bug" and an assignee: none is a candidate. No content travels.
    const text = JSON.stringify(route);
    for (const content of [payload.issue.title, payload.sender.login, payload.repository.name]) {
      expect(text).not.toContain(content);
    }
  });

  it("is eligible only while open, unassigned and labelled for newcomers (any case)", () => {
    const verdict = (action: string, change: (p: IssuesPayload) => void) => {
      const route = mapGitHubWebhook("issues", DELIVERY, example(action, change));
      return route.kind === "forward" ? route.event.data["eligible"] : route.kind;
    };
    expect(verdict("unlabeled", newcomer)).toBe(true);
    expect(verdict("reopened", newcomer)).toBe(true);
    expect(verdict("unassigned", newcomer)).toBe(true);
    expect(verdict("labeled", newcomer)).toBe(true);
    expect(
      verdict("unlabeled", (p) => {
        newcomer(p);
        p.issue.labels = [{ name: "bug" }];
      }),
    ).toBe(false);
    expect(
      verdict("closed", (p) => {
        newcomer(p);
        p.issue.state = "closed";
      }),
    ).toBe(false);
    expect(
      verdict("unassigned", (p) => {
        newcomer(p);
        p.issue.assignees = [{ id: 7 }];
      }),
    ).toBe(false);
    // Gone from the repository, whatever the issue looked like.
    expect(verdict("deleted", newcomer)).toBe(false);
    expect(verdict("transferred", newcomer)).toBe(false);
  });

  it("ignores other issues actions and refuses a payload without the issue's identifiers", () => {
    expect(mapGitHubWebhook("issues", DELIVERY, example("edited"))).toMatchObject({
      kind: "ignored",
    });
    expect(
      mapGitHubWebhook("issues", DELIVERY, { action: "closed", installation: { id: 1 } }),
    ).toEqual({
      kind: "invalid",
      action: "closed",
      fields: expect.arrayContaining(["repositoryId", "issueId", "eligible"]),
    });
    // An X-GitHub-Event named like an Object.prototype member maps to nothing.
    expect(mapGitHubWebhook("constructor", DELIVERY, { action: "keys" })).toMatchObject({
      kind: "ignored",
    });
  });
});
