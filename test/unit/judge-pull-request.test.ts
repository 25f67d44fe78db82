import { describe, expect, it } from "vitest";
import {
  judgePullRequest,
  type PullRequestFacts,
} from "../../src/completions/judge-pull-request.ts";

const expectations = {
  repositoryId: 10,
  repoFullName: "octo/demo",
  githubId: 7,
  githubLogin: "octo-cat",
  issueNumber: 42,
  issueUrl: "https://github.com/octo/demo/issues/42",
};
const pr = (over: Partial<PullRequestFacts> = {}): PullRequestFacts => ({
  repositoryId: 10,
  repositoryFullName: "octo/demo",
  authorId: 7,
  authorLogin: "octo-cat",
  title: "Fix the thing",
  body: "Fixes #42",
  ...over,
});

describe("judgePullRequest", () => {
  it.each([
    ["Fixes #42", true],
    ["closes octo/demo#42", true],
    ["Resolved: https://github.com/octo/demo/issues/42", true],
    ["see #42 for context", false],
    ["(#42)", false],
    ["Octo/Demo#42", false],
    ["https://github.com/octo/demo/issues/42.", false],
  ])("accepts a reference in %j (closing keyword: %s)", (body, closesIssue) => {
    expect(judgePullRequest(pr({ body }), expectations)).toEqual({
      status: "accepted",
      closesIssue,
    });
  });

  it("accepts a reference in the title with a null body", () => {
    expect(judgePullRequest(pr({ title: "Fix #42", body: null }), expectations)).toMatchObject({
      status: "accepted",
    });
  });

  it.each([
    "#420",
    "#4",
    "other/repo#42",
    "foo#42",
    "https://github.com/octo/demo/issues/420",
    "https://github.com/octo/demo/issues/42/x",
    "https://github.com/octo/demo-fork/issues/42",
    "",
  ])("refuses %j as no_reference", (body) => {
    expect(judgePullRequest(pr({ body }), expectations)).toEqual({
      status: "refused",
      reason: "no_reference",
    });
  });

  it("compares the repository by id, so a renamed full name still matches and a fork does not", () => {
    expect(
      judgePullRequest(pr({ repositoryFullName: "octo/renamed" }), expectations),
    ).toMatchObject({ status: "accepted" });
    expect(judgePullRequest(pr({ repositoryId: 11 }), expectations)).toEqual({
      status: "refused",
      reason: "wrong_repository",
    });
    expect(
      judgePullRequest(pr({ repositoryFullName: "fork/demo" }), {
        ...expectations,
        repositoryId: null,
      }),
    ).toEqual({ status: "refused", reason: "wrong_repository" });
  });

  it("compares the author by GitHub id: a login that changed hands is not the user", () => {
    expect(judgePullRequest(pr({ authorId: 8 }), expectations)).toEqual({
      status: "refused",
      reason: "not_author",
    });
    expect(judgePullRequest(pr({ authorLogin: "renamed" }), expectations)).toMatchObject({
      status: "accepted",
    });
    expect(
      judgePullRequest(pr({ authorLogin: "OCTO-CAT", authorId: 99 }), {
        ...expectations,
        githubId: null,
      }),
    ).toMatchObject({ status: "accepted" });
  });
});
