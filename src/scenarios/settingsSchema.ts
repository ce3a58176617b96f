import { z } from 'zod';
import { historyDoc, type Setting, type Settings } from '../nodes/config/setting.js';
import { KAFKA_DOCS } from './kafkaDocs.js';

/**
 * The scenario schema's fields for a set of declared settings (src/nodes/config): each key
 * checked as its declaration says (type, range, allowed values), described by Kafka's own
 * documentation of it, kafkasim's doc, its unit, range and default, and defaulted to its
 * default; a setting without a default stays optional.
 */
export function settingsShape<S extends Settings>(settings: S): SettingsShape<S> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, setting] of Object.entries(settings)) shape[name] = fieldOf(name, setting);
  // The one place the declarations' static types meet the schema built from them at run time.
  return shape as SettingsShape<S>;
}

/** A declared setting's value type, as zod fields carry it: defaulted, or optional. */
export type SettingsShape<S extends Settings> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? (undefined extends T ? z.ZodOptional<z.ZodType<Exclude<T, undefined>>> : z.ZodDefault<z.ZodType<T>>) : never;
};

function fieldOf(name: string, setting: Setting<unknown>): z.ZodType {
  const base = valueSchema(setting).describe(describeSetting(name, setting));
  return setting.default === undefined ? base.optional() : base.default(setting.default as never);
}

function valueSchema(setting: Setting<unknown>): z.ZodType {
  switch (setting.type) {
    case 'int': {
      const n = z.number().int().min(setting.min);
      return setting.max === undefined ? n : n.max(setting.max);
    }
    case 'number':
      return z.number().min(setting.min).max(setting.max);
    case 'boolean':
      return z.boolean();
    case 'string':
      return z.string().regex(setting.pattern);
    case 'enum':
      return literals(setting.values as readonly (string | number)[]);
    case 'list':
      return z.array(literals(setting.values)).min(1);
  }
}

/** One of `values`: an enum of strings, or a union of number literals. */
function literals(values: readonly (string | number)[]): z.ZodType {
  if (values.every((v) => typeof v === 'string')) return z.enum(values as [string, ...string[]]);
  return z.union(values.map((v) => z.literal(v)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>]);
}

/**
 * The description the JSON Schema shows for a declared setting: Kafka's documentation
 * sentence with the constant it is quoted from, kafkasim's doc, then the unit, the values it
 * takes and the default (by release, where it changed).
 */
export function describeSetting(name: string, setting: Setting<unknown>): string {
  const kafka = KAFKA_DOCS[name];
  const parts = kafka === undefined ? [setting.doc] : [`Kafka: "${kafka.doc}" (${name}, ${kafka.source}).`, `kafkasim: ${setting.doc}`];
  if ('unit' in setting && setting.unit !== undefined) parts.push(`Unit: ${setting.unit}.`);
  parts.push(allowedValues(setting));
  if (setting.default !== undefined) parts.push(`Default: ${JSON.stringify(setting.default)}.`);
  const history = historyDoc(setting);
  if (history !== '') parts.push(history);
  return parts.join(' ');
}

function allowedValues(setting: Setting<unknown>): string {
  switch (setting.type) {
    case 'int':
      return setting.max === undefined ? `An integer, at least ${setting.min}.` : `An integer from ${setting.min} to ${setting.max}.`;
    case 'number':
      return `A number from ${setting.min} to ${setting.max}.`;
    case 'boolean':
      return 'true or false.';
    case 'string':
      return `A name matching ${String(setting.pattern)}.`;
    case 'enum':
      return `One of: ${setting.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'list':
      return `One or more of: ${setting.values.join(', ')}.`;
  }
}
