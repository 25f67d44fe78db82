/**
 * The newcomer labels this service searches GitHub for, and how hard an issue carrying
 * each one is taken to be (1 easiest .. 5). Compared without case. An issue with several
 * of them counts as its easiest; one with none of them as UNLABELLED_DIFFICULTY.
 *
 * - 1, meant for a first contribution: `good first issue` (GitHub's default label) and its
 *   spellings `good-first-issue`, `good first bug`; `first-timers-only`; `beginner`,
 *   `beginner friendly`, `beginner-friendly`; `easy`; `starter`.
 * - 2, outside help welcome but the issue may need some familiarity with the project:
 *   `help wanted` (GitHub's default label), `help-wanted`, `up-for-grabs`.
 */
export const LABEL_DIFFICULTY: Readonly<Record<string, number>> = {
  "good first issue": 1,
  "good-first-issue": 1,
  "good first bug": 1,
  "first-timers-only": 1,
  beginner: 1,
  "beginner friendly": 1,
  "beginner-friendly": 1,
  easy: 1,
  starter: 1,
  "help wanted": 2,
  "help-wanted": 2,
  "up-for-grabs": 2,
};

export const UNLABELLED_DIFFICULTY = 3;

export const NEWCOMER_LABELS: readonly string[] = Object.keys(LABEL_DIFFICULTY);

export function labelDifficulty(labels: readonly string[]): number {
  let easiest = UNLABELLED_DIFFICULTY;
  for (const label of labels) {
    const d = LABEL_DIFFICULTY[label.toLowerCase()];
    if (d !== undefined && d < easiest) easiest = d;
  }
  return easiest;
}

/** An open issue from the shared candidate cache, as ranking sees it. */
export interface CandidateIssue {
  id: number;
  /** owner/name */
  repo: string;
  number: number;
  title: string;
  labels: readonly string[];
  /** The repository's primary language; null when GitHub reports none. */
  language: string | null;
  createdAt: Date;
  updatedAt: Date;
  assigned: boolean;
  /** Claimed or completed through this service by another user. */
  claimedByOther: boolean;
}

export interface RankingUser {
  /** The audit's level, 0..5. */
  level: number;
  githubLogin: string | null;
  knownLanguages: readonly string[];
  /** owner/name; the user's own account's repositories are skipped whether listed or not. */
  ownRepositories: readonly string[];
  /** Candidate ids the user released or let expire before. */
  droppedIssueIds: readonly number[];
}

export interface RankedCandidate {
  id: number;
  /** 0..1, higher first. */
  score: number;
}

export const DEFAULT_RECOMMENDATION_COUNT = 12;

/** Weights of the three fits; they sum to 1, so a score stays within 0..1. */
export const WEIGHTS = { level: 0.5, language: 0.3, freshness: 0.2 } as const;

/** Days after which an issue's last activity counts for half as much. */
export const FRESHNESS_HALF_LIFE_DAYS = 30;

const DAY_MS = 86_400_000;

/**
 * The difficulty (see labels.ts) that suits a level: levels 0-1 start with first issues,
 * 2-3 take `help wanted`, 4-5 anything.
 */
export function targetDifficulty(level: number): number {
  if (level <= 1) return 1;
  if (level <= 3) return 2;
  return 3;
}

/**
 * Recommendations for one user, best first: skips the user's own repositories, issues
 * assigned or claimed by someone else, and issues the user dropped before; scores the rest
 * by level fit, language match and freshness. Equal scores fall back to the most recently
 * updated, then repository and number, so the same inputs always give the same list.
 */
export function rankCandidates(
  candidates: readonly CandidateIssue[],
  user: RankingUser,
  options: { now: Date; limit?: number },
): RankedCandidate[] {
  const limit = options.limit ?? DEFAULT_RECOMMENDATION_COUNT;
  const login = user.githubLogin?.toLowerCase() ?? null;
  const own = new Set(user.ownRepositories.map((r) => r.toLowerCase()));
  const dropped = new Set(user.droppedIssueIds);
  const languages = new Set(user.knownLanguages.map((l) => l.toLowerCase()));
  const target = targetDifficulty(user.level);

  const scored = candidates
    .filter((c) => {
      const repo = c.repo.toLowerCase();
      if (own.has(repo) || (login !== null && repo.split("/")[0] === login)) return false;
      return !c.assigned && !c.claimedByOther && !dropped.has(c.id);
    })
    .map((c) => {
      const levelFit = Math.max(0, 1 - Math.abs(labelDifficulty(c.labels) - target) / 2);
      // Unknown on either side is neither a match nor a mismatch.
      const languageFit =
        c.language === null || languages.size === 0
          ? 0.5
          : languages.has(c.language.toLowerCase())
            ? 1
            : 0;
      const ageDays = Math.max(0, (options.now.getTime() - c.updatedAt.getTime()) / DAY_MS);
      const freshness = 0.5 ** (ageDays / FRESHNESS_HALF_LIFE_DAYS);
      const raw =
        WEIGHTS.level * levelFit + WEIGHTS.language * languageFit + WEIGHTS.freshness * freshness;
      // Rounded so that float noise cannot reorder equal candidates between runs.
      return { candidate: c, score: Math.round(raw * 1e6) / 1e6 };
    });

  scored.sort(
    (a, b) =>
      b.score - a.score ||
      b.candidate.updatedAt.getTime() - a.candidate.updatedAt.getTime() ||
      compare(a.candidate.repo, b.candidate.repo) ||
      a.candidate.number - b.candidate.number,
  );
  return scored.slice(0, limit).map(({ candidate, score }) => ({ id: candidate.id, score }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
