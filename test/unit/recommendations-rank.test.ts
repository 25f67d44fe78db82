import { describe, expect, it } from "vitest";
import {
  labelDifficulty,
  NEWCOMER_LABELS,
  rankCandidates,
  targetDifficulty,
  type CandidateIssue,
  type RankingUser,
} from "../../src/recommendations/rank.ts";

const NOW = new Date("2026-11-24T00:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

let nextId = 1;
function issue(overrides: Partial<CandidateIssue> = {}): CandidateIssue {
  const id = nextId++;
  return {
    id,
    repo: "acme/widgets",
    number: id,
    title: `Issue ${id}`,
    labels: ["good first issue"],
    language: "TypeScript",
    createdAt: daysAgo(10),
    updatedAt: daysAgo(1),
    assigned: false,
    claimedByOther: false,
    ...overrides,
  };
}

const user: RankingUser = {
  level: 1,
  githubLogin: "newcomer",
  knownLanguages: ["TypeScript"],
  ownRepositories: [],
  droppedIssueIds: [],
};
const ids = (ranked: { id: number }[]) => ranked.map((r) => r.id);

describe("rankCandidates: what is skipped", () => {
  it("skips the user's own repositories, by login (any case) and by the listed names", () => {
    const mine = issue({ repo: "NewComer/dotfiles" });
    const listed = issue({ repo: "newcomer-org/site" });
    const other = issue({ repo: "acme/widgets" });
    const ranked = rankCandidates(
      [mine, listed, other],
      {
        ...user,
        ownRepositories: ["Newcomer-Org/Site"],
      },
      { now: NOW },
    );
    expect(ids(ranked)).toEqual([other.id]);
  });

  it("does not mistake a repository whose owner merely starts with the login for the user's", () => {
    const lookalike = issue({ repo: "newcomer-fans/site" });
    expect(ids(rankCandidates([lookalike], user, { now: NOW }))).toEqual([lookalike.id]);
  });

  it("skips issues assigned on GitHub or claimed by another user here", () => {
    const assigned = issue({ assigned: true });
    const claimed = issue({ claimedByOther: true });
    const free = issue();
    expect(ids(rankCandidates([assigned, claimed, free], user, { now: NOW }))).toEqual([free.id]);
  });

  it("skips issues the user released or skipped before", () => {
    const released = issue();
    const free = issue();
    const ranked = rankCandidates(
      [released, free],
      { ...user, droppedIssueIds: [released.id] },
      {
        now: NOW,
      },
    );
    expect(ids(ranked)).toEqual([free.id]);
  });
});

describe("rankCandidates: order", () => {
  it("puts first issues first for a beginner and help-wanted first for level 3", () => {
    const easy = issue({ labels: ["good first issue"] });
    const medium = issue({ labels: ["help wanted"] });
    expect(ids(rankCandidates([medium, easy], { ...user, level: 0 }, { now: NOW }))).toEqual([
      easy.id,
      medium.id,
    ]);
    expect(ids(rankCandidates([easy, medium], { ...user, level: 3 }, { now: NOW }))).toEqual([
      medium.id,
      easy.id,
    ]);
  });

  it("prefers a language the user knows (compared without case), then an unknown one, then another", () => {
    const known = issue({ language: "typescript" });
    const unknown = issue({ language: null });
    const other = issue({ language: "Haskell" });
    expect(ids(rankCandidates([other, unknown, known], user, { now: NOW }))).toEqual([
      known.id,
      unknown.id,
      other.id,
    ]);
  });

  it("prefers recently active issues", () => {
    const stale = issue({ updatedAt: daysAgo(200) });
    const fresh = issue({ updatedAt: daysAgo(0) });
    const month = issue({ updatedAt: daysAgo(30) });
    expect(ids(rankCandidates([stale, month, fresh], user, { now: NOW }))).toEqual([
      fresh.id,
      month.id,
      stale.id,
    ]);
  });

  it("weighs level over language over freshness", () => {
    const rightLevelOldOtherLanguage = issue({ language: "Go", updatedAt: daysAgo(100) });
    const wrongLevelFreshKnown = issue({ labels: ["help wanted"], updatedAt: daysAgo(0) });
    const [first, second] = rankCandidates(
      [wrongLevelFreshKnown, rightLevelOldOtherLanguage],
      { ...user, level: 0 },
      { now: NOW },
    );
    // level 0: 0.5*1 + 0.3*0 + 0.2*0.5^(100/30) against 0.5*0.5 + 0.3*1 + 0.2*1
    expect(first).toEqual({ id: wrongLevelFreshKnown.id, score: 0.75 });
    expect(second!.id).toBe(rightLevelOldOtherLanguage.id);
    expect(second!.score).toBeCloseTo(0.5 + 0.2 * 0.5 ** (100 / 30), 5);
  });

  it("orders equal scores deterministically: by repository, then number, whatever the input order", () => {
    const a = issue({ repo: "b/repo", number: 2 });
    const b = issue({ repo: "a/repo", number: 9 });
    const c = issue({ repo: "a/repo", number: 3 });
    const expected = [c.id, b.id, a.id];
    expect(ids(rankCandidates([a, b, c], user, { now: NOW }))).toEqual(expected);
    expect(ids(rankCandidates([c, a, b], user, { now: NOW }))).toEqual(expected);
  });

  it("returns the top 12 by default, or the limit asked for, with scores within 0..1", () => {
    const many = Array.from({ length: 20 }, (_, i) => issue({ updatedAt: daysAgo(i) }));
    const top = rankCandidates(many, user, { now: NOW });
    expect(ids(top)).toEqual(ids(many.slice(0, 12)));
    expect(top.every((r) => r.score > 0 && r.score <= 1)).toBe(true);
    expect(rankCandidates(many, user, { now: NOW, limit: 3 })).toHaveLength(3);
  });
});

describe("label difficulty", () => {
  it("reads the documented labels without case; the easiest label wins; none is 3", () => {
    expect(labelDifficulty(["Good First Issue"])).toBe(1);
    expect(labelDifficulty(["first-timers-only"])).toBe(1);
    expect(labelDifficulty(["help wanted", "good first issue"])).toBe(1);
    expect(labelDifficulty(["HELP WANTED", "bug"])).toBe(2);
    expect(labelDifficulty(["bug"])).toBe(3);
  });

  it("reads the common spellings of the newcomer labels", () => {
    for (const label of [
      "good-first-issue",
      "Good First Bug",
      "beginner",
      "Beginner Friendly",
      "beginner-friendly",
      "easy",
      "starter",
    ])
      expect(labelDifficulty([label]), label).toBe(1);
    for (const label of ["help-wanted", "Up-For-Grabs"])
      expect(labelDifficulty([label]), label).toBe(2);
    expect(NEWCOMER_LABELS).toHaveLength(12);
  });

  it("maps levels to the difficulty that suits them", () => {
    expect([0, 1, 2, 3, 4, 5].map(targetDifficulty)).toEqual([1, 1, 2, 2, 3, 3]);
  });
});
