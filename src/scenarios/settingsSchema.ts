import { z } from 'zod';
import { historyDoc, type Setting, type Settings } from '../nodes/config/setting.js';

/**
 * The scenario schema's fields for a set of declared settings (src/nodes/config): each key
 * checked as its declaration says (type, range, allowed values), described by its doc and
 * unit, and defaulted to its default; a setting without a default stays optional.
 */
export function settingsShape<S extends Settings>(settings: S): SettingsShape<S> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, setting] of Object.entries(settings)) shape[name] = fieldOf(setting);
  // The one place the declarations' static types meet the schema built from them at run time.
  return shape as SettingsShape<S>;
}

/** A declared setting's value type, as zod fields carry it: defaulted, or optional. */
export type SettingsShape<S extends Settings> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? (undefined extends T ? z.ZodOptional<z.ZodType<Exclude<T, undefined>>> : z.ZodDefault<z.ZodType<T>>) : never;
};

function fieldOf(setting: Setting<unknown>): z.ZodType {
  const base = valueSchema(setting).describe(describe(setting));
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

/** The description the JSON Schema shows: the doc, the unit and the default. */
function describe(setting: Setting<unknown>): string {
  const unit = 'unit' in setting && setting.unit !== undefined ? ` Unit: ${setting.unit}.` : '';
  const history = historyDoc(setting);
  return `${setting.doc}${unit}${history === '' ? '' : ` ${history}`}`;
}
