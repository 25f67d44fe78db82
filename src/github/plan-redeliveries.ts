/** A webhook delivery attempt, as GET /app/hook/deliveries lists it (the fields read here). */
export interface HookDeliveryAttempt {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
}

export interface RedeliveryPlan {
  /** One attempt id per guid to ask again for: the newest attempt of that guid. */
  deliveryIds: number[];
  /** Guids with a failure and no success that already had `maxAttempts` attempts. */
  gaveUp: string[];
}

/**
 * Attempts of one delivery share its guid; only guids that never succeeded are asked for
 * again, and a guid that failed `maxAttempts` times is left for a human (see failed runs).
 */
export function planRedeliveries(
  attempts: readonly HookDeliveryAttempt[],
  maxAttempts: number,
): RedeliveryPlan {
  const byGuid = new Map<string, HookDeliveryAttempt[]>();
  for (const attempt of attempts)
    byGuid.set(attempt.guid, [...(byGuid.get(attempt.guid) ?? []), attempt]);
  const plan: RedeliveryPlan = { deliveryIds: [], gaveUp: [] };
  for (const [guid, tries] of byGuid) {
    if (tries.some((t) => t.status_code >= 200 && t.status_code < 300)) continue;
    if (tries.length >= maxAttempts) {
      plan.gaveUp.push(guid);
      continue;
    }
    const newest = tries.reduce((a, b) =>
      Date.parse(b.delivered_at) > Date.parse(a.delivered_at) ? b : a,
    );
    plan.deliveryIds.push(newest.id);
  }
  return plan;
}
