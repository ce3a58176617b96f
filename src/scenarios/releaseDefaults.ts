import { BROKER_SETTINGS } from '../nodes/config/brokerSettings.js';
import { CONSUMER_SETTINGS, PROCESSOR_SETTINGS, PRODUCER_SETTINGS } from '../nodes/config/clientSettings.js';
import { isKafkaRelease, NEWEST_RELEASE, type KafkaRelease } from '../nodes/config/releases.js';
import { defaultAt, type Settings } from '../nodes/config/setting.js';
import { TOPIC_SETTINGS } from '../nodes/config/topicSettings.js';

/**
 * A scenario as written, with the defaults of the Kafka release it names (`cluster.version`)
 * filled in wherever it sets nothing: the schema's own defaults are the newest release's, so
 * this runs first. Settings the scenario sets are left alone (a `sim.*` switch overrides its
 * release). Anything malformed is returned as it is, for the schema to report.
 */
export function withReleaseDefaults(raw: unknown): unknown {
  if (!isRecord(raw) || !isRecord(raw.cluster)) return raw;
  const version = raw.cluster.version ?? NEWEST_RELEASE;
  if (!isKafkaRelease(version)) return raw;
  const cluster = { ...raw.cluster, config: fill(raw.cluster.config, BROKER_SETTINGS, version) };
  const topics = Array.isArray(raw.topics) ? raw.topics.map((t: unknown) => (isRecord(t) ? { ...t, config: fill(t.config, TOPIC_SETTINGS, version) } : t)) : raw.topics;
  const clients = Array.isArray(raw.clients) ? raw.clients.map((c: unknown) => fillClient(c, version)) : raw.clients;
  return { ...raw, cluster, ...(topics === undefined ? {} : { topics }), ...(clients === undefined ? {} : { clients }) };
}

function fillClient(client: unknown, release: KafkaRelease): unknown {
  if (!isRecord(client)) return client;
  switch (client.type) {
    case 'producer':
      return { ...client, config: fill(client.config, PRODUCER_SETTINGS, release) };
    case 'consumer':
      return { ...client, config: fill(client.config, CONSUMER_SETTINGS, release) };
    case 'processor':
      return { ...client, config: fill(fill(client.config, CONSUMER_SETTINGS, release), PROCESSOR_SETTINGS, release) };
    default:
      return client;
  }
}

/** `config` with every setting that has a history and is not set given its value at `release`. */
function fill(config: unknown, settings: Settings, release: KafkaRelease): unknown {
  if (config !== undefined && !isRecord(config)) return config;
  const out: Record<string, unknown> = { ...config };
  for (const [name, setting] of Object.entries(settings)) {
    if (setting.history === undefined || name in out) continue;
    const value = defaultAt(setting, release);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
