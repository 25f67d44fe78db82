import { describe, expect, it } from "vitest";
import { parsePullRequestUrl } from "../../src/completions/parse-pull-request-url.ts";

describe("parsePullRequestUrl", () => {
  it("parses https://github.com/<owner>/<repo>/pull/<n>", () => {
    expect(parsePullRequestUrl("https://github.com/octo-org/my.repo_x-1/pull/123")).toEqual({
      owner: "octo-org",
      repo: "my.repo_x-1",
      number: 123,
    });
  });

  it.each([
    "https://github.com/octo/demo/pull/1/",
    "https://GITHUB.com/octo/demo/pull/1",
    "https://github.com:443/octo/demo/pull/1",
    "https://github.com/-octo/demo/pull/1",
    "https://github.com/octo/./pull/1",
    "https://github.com/octo/demo/pull/01",
    "https://github.com/octo/demo/pull/99999999999",
    "https://github.com/octo/demo/pulls/1",
    "https://github.com/octo/demo/pull/1\n",
    `https://github.com/${"a".repeat(40)}/demo/pull/1`,
  ])("refuses %j", (url) => {
    expect(parsePullRequestUrl(url)).toBeUndefined();
  });
});
