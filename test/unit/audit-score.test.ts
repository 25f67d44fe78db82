import { describe, expect, it } from "vitest";
import type { AuditSignals } from "../../src/audit/audit-signals.ts";
import {
  AUDIT_MAX_LEVEL,
  AUDIT_XP_CAP,
  LEVEL_THRESHOLDS,
  SIGNAL_WEIGHTS,
  levelForXp,
  scoreAudit,
} from "../../src/audit/score.ts";

const SIGNALS = Object.keys(SIGNAL_WEIGHTS) as (keyof AuditSignals)[];
const ZERO: AuditSignals = {
  accountAgeDays: 0,
  mergedPrs: 0,
  mergedPrsExternal: 0,
  closedIssues: 0,
  distinctLanguages: 0,
  yearlyContributions: 0,
  followers: 0,
};
const maxXpOf = (s: keyof AuditSignals) =>
  Math.floor((SIGNAL_WEIGHTS[s].capUnits * SIGNAL_WEIGHTS[s].xp) / SIGNAL_WEIGHTS[s].per);

/** mulberry32: a seeded generator, so a failing sample is reproducible. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(20250601);
/** Values up to twice each cap, so samples land on both sides of it. */
const anyCount = (s: keyof AuditSignals) => Math.floor(rand() * SIGNAL_WEIGHTS[s].capUnits * 2 + 1);
const anySignals = (): AuditSignals =>
  Object.fromEntries(SIGNALS.map((s) => [s, anyCount(s)])) as unknown as AuditSignals;
const SAMPLES = Array.from({ length: 500 }, anySignals);

describe("levelForXp", () => {
  it("has the agreed thresholds", () => {
    expect(LEVEL_THRESHOLDS).toEqual([0, 100, 459, 1119, 2089, 3404]);
  });

  it.each(LEVEL_THRESHOLDS.map((t, n) => [n, t] as const))(
    "level %i starts exactly at %i XP",
    (n, t) => {
      expect(levelForXp(t)).toBe(n);
      if (n > 0) expect(levelForXp(t - 1)).toBe(n - 1);
    },
  );

  it("stays at 0 below zero and at the top level far above", () => {
    expect(levelForXp(-5)).toBe(0);
    expect(levelForXp(Number.NaN)).toBe(0);
    expect(levelForXp(1e9)).toBe(LEVEL_THRESHOLDS.length - 1);
  });
});

describe("scoreAudit", () => {
  it("scores nothing as level 0", () => {
    expect(scoreAudit(ZERO)).toEqual({ xp: 0, level: 0, breakdown: ZERO });
  });

  it("pins a worked example to the weights table", () => {
    const result = scoreAudit({
      ...ZERO,
      mergedPrsExternal: 3,
      mergedPrs: 10,
      accountAgeDays: 365,
      followers: 7,
    });
    expect(result.breakdown).toMatchObject({
      mergedPrsExternal: 36,
      mergedPrs: 40,
      accountAgeDays: 12,
      followers: 14,
    });
    expect(result).toMatchObject({ xp: 102, level: 1 });
  });

  it("caps the audit at the last XP of level 2, so stored XP and level agree", () => {
    expect(AUDIT_MAX_LEVEL).toBe(2);
    expect(AUDIT_XP_CAP).toBe(1118);
    const everything = Object.fromEntries(SIGNALS.map((s) => [s, 1e6])) as unknown as AuditSignals;
    const result = scoreAudit(everything);
    // The uncapped sum would be level 3; storing it next to level 2 would disagree.
    expect(Object.values(result.breakdown).reduce((a, b) => a + b)).toBeGreaterThanOrEqual(
      LEVEL_THRESHOLDS[3],
    );
    expect(result).toMatchObject({ xp: 1118, level: 2 });
    expect(levelForXp(result.xp)).toBe(result.level);
  });

  it("weighs merged external PRs most and account age least", () => {
    const byMax = [...SIGNALS].sort((a, b) => maxXpOf(b) - maxXpOf(a));
    expect(byMax[0]).toBe("mergedPrsExternal");
    expect(byMax.at(-1)).toBe("accountAgeDays");
  });

  it("for any signals: XP is a non-negative integer within the cap, consistent with the level", () => {
    for (const signals of SAMPLES) {
      const { xp, level, breakdown } = scoreAudit(signals);
      expect(Number.isInteger(xp) && xp >= 0 && xp <= AUDIT_XP_CAP, JSON.stringify(signals)).toBe(
        true,
      );
      expect(level).toBe(levelForXp(xp));
      expect(level).toBeLessThanOrEqual(AUDIT_MAX_LEVEL);
      const sum = Object.values(breakdown).reduce((a, b) => a + b);
      expect(xp).toBe(Math.min(AUDIT_XP_CAP, sum));
    }
  });

  it("for any signals: each signal's XP stays within its cap", () => {
    for (const signals of SAMPLES) {
      const { breakdown } = scoreAudit(signals);
      for (const s of SIGNALS) {
        expect(breakdown[s]).toBeGreaterThanOrEqual(0);
        expect(breakdown[s]).toBeLessThanOrEqual(maxXpOf(s));
        const atCap = scoreAudit({ ...signals, [s]: SIGNAL_WEIGHTS[s].capUnits }).breakdown[s];
        const pastCap = scoreAudit({ ...signals, [s]: SIGNAL_WEIGHTS[s].capUnits + 1000 })
          .breakdown[s];
        expect(pastCap).toBe(atCap);
      }
    }
  });

  it("for any signals: raising one signal never lowers XP, that signal's share or the level", () => {
    for (const signals of SAMPLES) {
      const before = scoreAudit(signals);
      for (const s of SIGNALS) {
        const after = scoreAudit({ ...signals, [s]: signals[s] + Math.floor(rand() * 50) + 1 });
        expect(after.xp).toBeGreaterThanOrEqual(before.xp);
        expect(after.level).toBeGreaterThanOrEqual(before.level);
        expect(after.breakdown[s]).toBeGreaterThanOrEqual(before.breakdown[s]);
      }
    }
  });

  it("treats impossible inputs as zero rather than going negative", () => {
    const result = scoreAudit({
      ...ZERO,
      followers: -10,
      closedIssues: Number.NaN,
      mergedPrs: Number.POSITIVE_INFINITY,
    });
    expect(result.breakdown).toMatchObject({
      followers: 0,
      closedIssues: 0,
      mergedPrs: maxXpOf("mergedPrs"),
    });
  });
});
