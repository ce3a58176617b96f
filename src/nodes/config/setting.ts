import { KAFKA_RELEASES, valueAt, type KafkaRelease, type ReleaseHistory } from './releases.js';

/**
 * One Kafka setting, declared once: its Kafka name (the key it is declared under), its
 * default, its unit and allowed values, and what it means. The nodes read settings by these
 * names; the scenario schema is built from the same declarations (src/scenarios
 * /settingsSchema.ts), so a default or a range is never written twice. Settings that are the
 * simulator's own, to bring back an old release's behaviour, are named `sim.*`.
 */
export type Setting<T> = IntSetting<T> | NumberSetting<T> | BooleanSetting<T> | EnumSetting<T> | StringSetting<T> | ListSetting<T>;

/** What every setting has. */
interface SettingBase<T> {
  /**
   * Kafka's default (for `sim.*` settings: today's Kafka behaviour). Undefined for a setting
   * whose default is worked out from others (a topic's override of a broker setting, say):
   * the `doc` says how.
   */
  readonly default: T;
  /** What it does, in a sentence or two. */
  readonly doc: string;
  /**
   * For a setting whose default changed between Kafka releases (or a `sim.*` behaviour that
   * did): the value each release line had, oldest first, each citing where it changed in the
   * setting's doc. The last entry is `default`, the newest release's. A scenario that does not
   * set the setting gets the value of the release it names (`cluster.version`).
   */
  readonly history?: ReleaseHistory<T>;
  /** Where the change is recorded: the KIP, JIRA or Kafka source file. */
  readonly changedBy?: string;
}

export type Unit = 'ms' | 's' | 'minutes' | 'bytes' | 'messages' | 'partitions' | 'replicas' | 'brokers' | 'fetchers';

export interface IntSetting<T> extends SettingBase<T> {
  readonly type: 'int';
  readonly min: number;
  readonly max?: number;
  readonly unit?: Unit;
}

/** A fraction or other real number in [min, max]. */
export interface NumberSetting<T> extends SettingBase<T> {
  readonly type: 'number';
  readonly min: number;
  readonly max: number;
}

/** A name, such as group.instance.id, with the characters Kafka allows. */
export interface StringSetting<T> extends SettingBase<T> {
  readonly type: 'string';
  readonly pattern: RegExp;
}

/** A list of one or more of a few values (partition.assignment.strategy). */
export interface ListSetting<T> extends SettingBase<T> {
  readonly type: 'list';
  readonly values: readonly string[];
}

export interface BooleanSetting<T> extends SettingBase<T> {
  readonly type: 'boolean';
}

/** One of a few values: strings (Kafka's enums) or numbers (feature versions). */
export interface EnumSetting<T> extends SettingBase<T> {
  readonly type: 'enum';
  readonly values: readonly T[];
}

/** The value type of a setting whose default is `D`: undefined stays possible only when the default is. */
type Valued<T, D> = undefined extends D ? T | undefined : T;

/** An integer setting; `min` 0 or 1 as Kafka's ConfigDef.Range.atLeast says. */
export function int<D extends number | undefined>(defaultValue: D, doc: string, options: { readonly min: number; readonly max?: number; readonly unit?: Unit }): IntSetting<Valued<number, D>> {
  return { type: 'int', default: defaultValue as Valued<number, D>, doc, ...options };
}

export function num(defaultValue: number, doc: string, options: { readonly min: number; readonly max: number }): NumberSetting<number> {
  return { type: 'number', default: defaultValue, doc, ...options };
}

export function str(doc: string, pattern: RegExp): StringSetting<string | undefined> {
  return { type: 'string', default: undefined, doc, pattern };
}

export function listOf<const V extends string>(values: readonly V[], defaultValue: readonly V[], doc: string): ListSetting<readonly V[]> {
  return { type: 'list', values, default: defaultValue, doc };
}

export function bool<D extends boolean | undefined>(defaultValue: D, doc: string): BooleanSetting<Valued<boolean, D>> {
  return { type: 'boolean', default: defaultValue as Valued<boolean, D>, doc };
}

export function oneOf<const V extends string | number, D extends V | undefined = V>(values: readonly V[], defaultValue: D, doc: string): EnumSetting<Valued<V, D>> {
  return { type: 'enum', values: values as readonly Valued<V, D>[], default: defaultValue as Valued<V, D>, doc };
}

/**
 * The same setting, with the values older releases had: `history` oldest first, ending at the
 * setting's default (a test checks that it does).
 */
export function changed<S extends Setting<unknown>>(setting: S, history: ReleaseHistory<S['default']>, changedBy: string): S {
  return { ...setting, history, changedBy };
}

/** The value of a declared setting at a release: its history's, or its default. */
export function defaultAt<T>(setting: Setting<T>, release: KafkaRelease): T {
  return setting.history === undefined ? setting.default : valueAt(setting.history, release);
}

/** A set of declarations, by Kafka name. */
export type Settings = Readonly<Record<string, Setting<unknown>>>;

/** The values of a set of declared settings, by Kafka name. */
export type SettingValues<S extends Settings> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Every setting at its default. */
export function defaultsOf<S extends Settings>(settings: S): SettingValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings)) values[name] = s.default;
  return values as SettingValues<S>;
}

/**
 * A setting's history as a sentence: `0.10: true; 0.11 and later: false (KIP-106)`,
 * or '' for a setting whose default never changed.
 */
export function historyDoc(setting: Setting<unknown>): string {
  if (setting.history === undefined) return '';
  const parts = setting.history.map(([since, value], i) => {
    const next = setting.history?.[i + 1]?.[0];
    const until = next === undefined ? undefined : KAFKA_RELEASES[KAFKA_RELEASES.indexOf(next) - 1];
    const range = until === undefined ? `${since} and later` : until === since ? since : `${since}-${until}`;
    return `${range}: ${value === undefined ? 'unset' : JSON.stringify(value)}`;
  });
  return `Default by Kafka release (cluster.version): ${parts.join('; ')} (${setting.changedBy ?? ''}).`;
}
