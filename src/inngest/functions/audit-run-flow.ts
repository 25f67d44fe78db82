/**
 * Flow-control keys of audit-run and audit-collect, as CEL evaluated by the Inngest server.
 * A key whose field is missing does not fail: every such run shares one bucket. So each key
 * reads a field its event schema requires.
 *
 * audit-run's steps are database-only, so it has no per-installation limit: an audit/run
 * event may name no installation (the key would have to fall back to the user), and a
 * parent waiting on step.invoke holds no concurrency slot. Every GitHub call of an audit
 * runs in audit-collect, invoked with the installation audit-run resolved at run time
 * (also on a dashboard Rerun), and that function is limited per installation.
 */

export const AUDIT_COLLECT_ID = "audit-collect";

/**
 * One audit per user at a time (`singleton`, not `concurrency`: a concurrency limit of 1
 * bounds steps executing, so two runs of one user could still interleave between steps).
 */
export const AUDIT_USER_KEY = "event.data.userId";

/**
 * At most AUDIT_INSTALLATION_LIMIT audit-collect steps at once per installation: the field
 * is required by audit-collect's invoke schema, so the key can never be missing.
 */
export const AUDIT_COLLECT_INSTALLATION_KEY = "event.data.installationId";

export const AUDIT_INSTALLATION_LIMIT = 4;
