/**
 * Flow-control keys of audit-run, as CEL evaluated by the Inngest server. A key whose
 * field is missing does not fail: every such run shares one bucket. So each key reads a
 * field the event schema requires, or guards an optional one with has().
 */

/**
 * One audit per user at a time (`singleton`, not `concurrency`: a concurrency limit of 1
 * bounds steps executing, so two runs of one user could still interleave between steps).
 */
export const AUDIT_USER_KEY = "event.data.userId";

/**
 * At most AUDIT_INSTALLATION_LIMIT steps at once per key. An event naming an installation
 * spends that one or none (audit_context), so its key bounds the installation's budget; every
 * producer names it when the user has one at send time. An event naming none is keyed per
 * user, yet may resolve an installation that appeared later (a race, a dashboard rerun): that
 * run's GitHub calls are not counted against the installation's limit.
 */
export const AUDIT_INSTALLATION_KEY =
  'has(event.data.installationId) ? "installation:" + string(event.data.installationId) : "user:" + event.data.userId';

export const AUDIT_INSTALLATION_LIMIT = 4;
