import { BROKER_SETTINGS } from '../nodes/config/brokerSettings.js';
import { CONSUMER_SETTINGS, PRODUCER_SETTINGS } from '../nodes/config/clientSettings.js';
import { KAFKA_RELEASES, type ReleaseHistory } from '../nodes/config/releases.js';
import { RAFT_FEATURE_RELEASES } from '../nodes/controller/raft/kafkaRaftClient.js';
import type { Setting, Settings } from '../nodes/config/setting.js';
import { BROKER_REQUIREMENTS, CONSUMER_REQUIREMENTS, PRODUCER_REQUIREMENTS, RELEASE_LIMITS } from './releaseChecks.js';

/**
 * docs/fidelity.md's table of behaviour x release, written from the declarations themselves
 * (each setting's history and citation, each feature's first release), so that the table
 * cannot drift from what the simulator does. `node scripts/releaseTable.mjs` prints it.
 */
export function releaseTableMarkdown(): string {
  const rows: string[] = [
    `Modelled releases: ${KAFKA_RELEASES.join(', ')} (\`cluster.version\`, default ${KAFKA_RELEASES[KAFKA_RELEASES.length - 1]}).`,
    '',
    '| where | setting or behaviour | value by release | changed by |',
    '|---|---|---|---|',
  ];
  for (const [where, settings] of [['broker', BROKER_SETTINGS], ['producer', PRODUCER_SETTINGS], ['consumer', CONSUMER_SETTINGS]] as const) {
    for (const [name, s] of historied(settings)) rows.push(`| ${where} | \`${name}\` | ${byRelease(s)} | ${s.changedBy ?? ''} |`);
  }
  for (const l of RELEASE_LIMITS) rows.push(`| ${l.where} | ${l.what} | ${byRelease(l)} | ${l.changedBy} |`);
  rows.push('', '| where | feature | first release |', '|---|---|---|');
  for (const [where, list] of [['broker', BROKER_REQUIREMENTS], ['producer', PRODUCER_REQUIREMENTS], ['consumer', CONSUMER_REQUIREMENTS]] as const) {
    for (const r of list) rows.push(`| ${where} | ${r.what} (\`${r.field}\`) | ${r.since} |`);
  }
  for (const f of Object.values(RAFT_FEATURE_RELEASES)) rows.push(`| controller | ${f.what} (by \`cluster.version\`) | ${f.since} |`);
  return rows.join('\n');
}

function historied(settings: Settings): [string, Setting<unknown>][] {
  return Object.entries(settings).filter(([, s]) => s.history !== undefined);
}

/** `0.10-2.4: a; 2.5+: b`. */
function byRelease(s: { readonly history?: ReleaseHistory<unknown> }): string {
  const history = s.history ?? [];
  return history
    .map(([since, value], i) => {
      const next = history[i + 1]?.[0];
      const until = next === undefined ? undefined : KAFKA_RELEASES[KAFKA_RELEASES.indexOf(next) - 1];
      const range = until === undefined ? `${since}+` : until === since ? since : `${since}-${until}`;
      return `${range}: ${value === undefined ? '(worked out)' : `\`${Array.isArray(value) ? value.join(',') : String(value)}\``}`;
    })
    .join('; ');
}
