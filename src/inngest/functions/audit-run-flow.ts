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
 * One installation's GitHub budget: at most AUDIT_INSTALLATION_LIMIT runs at once. The
 * run uses the installation the event names and no other (audit_context), so the key
 * names the installation the run spends. An event naming none (the user had no
 * installation at sign-in) is bounded per user instead.
 */
export const AUDIT_INSTALLATION_KEY =
  'has(event.data.installationId) ? "installation:" + string(event.data.installationId) : "user:" + event.data.userId';

export const AUDIT_INSTALLATION_LIMIT = 4;
