import { z } from "zod";

/**
 * Every kind of product event the service records, in one place: the `track-event`
 * action accepts these and nothing else (an unknown kind is a 400), and the RPC
 * contract types `record_tracked_event`'s `p_kind` with the same enum. To add a kind,
 * add it here and to the README's table; every kind takes the same authenticated
 * path, so none can be opened or locked down on its own.
 *
 * - `recommendation.viewed`: a recommendation was shown to the user.
 * - `recommendation.apply_clicked`: the user followed a recommendation to its issue.
 * - `profile.viewed`: a profile page was shown.
 * - `repository.viewed`: a repository page was shown.
 */
export const trackedEventKind = z.enum([
  "recommendation.viewed",
  "recommendation.apply_clicked",
  "profile.viewed",
  "repository.viewed",
]);

export type TrackedEventKind = z.output<typeof trackedEventKind>;

export const TRACKED_EVENT_KINDS: readonly TrackedEventKind[] = trackedEventKind.options;
