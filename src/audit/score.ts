import type { AuditSignals } from "./audit-signals.ts";

/** XP needed for each level: level n once xp >= LEVEL_THRESHOLDS[n]. */
export const LEVEL_THRESHOLDS = [0, 100, 459, 1119, 2089, 3404] as const;

/** An audit only reads history; higher levels are earned through the product. */
export const AUDIT_MAX_LEVEL = 2;

/**
 * The XP itself is capped (not just the level), so levelForXp(xp) === level
 * for every stored audit; never raw XP next to a clamped level.
 */
export const AUDIT_XP_CAP = LEVEL_THRESHOLDS[AUDIT_MAX_LEVEL + 1]! - 1;

export interface SignalWeight {
  /** `xp` XP for every `per` units, counting at most `capUnits` units. */
  xp: number;
  per: number;
  capUnits: number;
}

/**
 * Max XP per signal sums to 1250, above AUDIT_XP_CAP (1118): reaching level 2's
 * ceiling takes strength on several signals, not one inflated number.
 */
export const SIGNAL_WEIGHTS = {
  //                      xp  per   capUnits    max XP  why
  mergedPrsExternal: { xp: 12, per: 1, capUnits: 40 }, //   480  accepted by other maintainers: hardest to fake
  mergedPrs: { xp: 4, per: 1, capUnits: 50 }, //    200  includes external ones, so those earn 16 each
  yearlyContributions: { xp: 1, per: 2, capUnits: 400 }, //   200  recent activity, but commits are cheap
  distinctLanguages: { xp: 15, per: 1, capUnits: 8 }, //    120  breadth, for matching issues by language
  followers: { xp: 2, per: 1, capUnits: 50 }, //    100  social signal, easy to game
  closedIssues: { xp: 3, per: 1, capUnits: 30 }, //     90  "closed" includes "not planned"
  accountAgeDays: { xp: 1, per: 30, capUnits: 1800 }, //  60  age alone says little
} as const satisfies Record<keyof AuditSignals, SignalWeight>;

export type AuditSignalName = keyof typeof SIGNAL_WEIGHTS;

export function levelForXp(xp: number): number {
  return Math.max(
    0,
    LEVEL_THRESHOLDS.findLastIndex((threshold) => xp >= threshold),
  );
}

/** Integer XP for one signal; NaN and negatives count as nothing, so the score can't go below 0. */
function signalXp(value: number, { xp, per, capUnits }: SignalWeight): number {
  const units = Math.min(capUnits, Math.max(0, Number.isNaN(value) ? 0 : Math.floor(value)));
  return Math.floor((units * xp) / per);
}

export function scoreAudit(signals: AuditSignals): {
  xp: number;
  level: number;
  /** XP earned per signal before AUDIT_XP_CAP; may sum to more than `xp`. */
  breakdown: Record<AuditSignalName, number>;
} {
  const names = Object.keys(SIGNAL_WEIGHTS) as AuditSignalName[];
  const breakdown = Object.fromEntries(
    names.map((name) => [name, signalXp(signals[name], SIGNAL_WEIGHTS[name])]),
  ) as Record<AuditSignalName, number>;
  const total = names.reduce((sum, name) => sum + breakdown[name], 0);
  const xp = Math.min(AUDIT_XP_CAP, total);
  return { xp, level: levelForXp(xp), breakdown };
}
