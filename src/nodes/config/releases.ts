/**
 * The Kafka releases kafkasim models, as release lines (major.minor). A scenario names one
 * (`cluster.version`); every setting whose default, and every behaviour whose rule, changed
 * between releases is looked up from it (see {@link Setting.history}). The newest line is the
 * default. The control plane stays KRaft-shaped for every release (docs/fidelity.md): what
 * follows the release is the data plane, the clients, the group and transaction coordinators.
 */
export const KAFKA_RELEASES = [
  '0.10', '0.11', '1.0', '1.1',
  '2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8',
  '3.0', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9',
  '4.0', '4.1',
] as const;

export type KafkaRelease = (typeof KAFKA_RELEASES)[number];

/** The release a scenario simulates when it names none: the newest. */
export const NEWEST_RELEASE: KafkaRelease = KAFKA_RELEASES[KAFKA_RELEASES.length - 1];

/** Whether `value` names a modelled release line. */
export function isKafkaRelease(value: unknown): value is KafkaRelease {
  return typeof value === 'string' && (KAFKA_RELEASES as readonly string[]).includes(value);
}

/** Negative when `a` is older than `b`, 0 when the same line, positive when newer. */
export function compareReleases(a: KafkaRelease, b: KafkaRelease): number {
  return KAFKA_RELEASES.indexOf(a) - KAFKA_RELEASES.indexOf(b);
}

/** Whether `release` is `since` or newer. */
export function atLeast(release: KafkaRelease, since: KafkaRelease): boolean {
  return compareReleases(release, since) >= 0;
}

/**
 * How a value changed across releases, oldest first: each entry holds from its release until
 * the next entry's. A release older than the first entry gets the first entry's value (the
 * behaviour as it was before anyone changed it).
 */
export type ReleaseHistory<T> = readonly (readonly [KafkaRelease, T])[];

/** The value `history` gives `release`. */
export function valueAt<T>(history: ReleaseHistory<T>, release: KafkaRelease): T {
  let value = history[0][1];
  for (const [since, v] of history) if (atLeast(release, since)) value = v;
  return value;
}
