/**
 * Simulated time. Every instant and every span is an integer count of microseconds,
 * branded so that an instant cannot be passed where a span is meant and neither can be
 * confused with a plain count. Integers keep arithmetic exact: 2^53 µs is 285 years.
 */

declare const timeBrand: unique symbol;
declare const durationBrand: unique symbol;

/** An instant on a simulated clock, in microseconds since the run began. */
export type Time = number & { readonly [timeBrand]: true };
/** A span of simulated time, in microseconds. */
export type Duration = number & { readonly [durationBrand]: true };

export const MICROS_PER_MS = 1_000;
export const MICROS_PER_SECOND = 1_000_000;

const UNIT_MICROS: Readonly<Record<string, number>> = {
  us: 1,
  µs: 1,
  ms: MICROS_PER_MS,
  s: MICROS_PER_SECOND,
  m: 60 * MICROS_PER_SECOND,
  h: 3_600 * MICROS_PER_SECOND,
};

export const ZERO_TIME = 0 as Time;

export function time(micros: number): Time {
  return micros as Time;
}

export function micros(n: number): Duration {
  return n as Duration;
}

export function millis(n: number): Duration {
  return Math.round(n * MICROS_PER_MS) as Duration;
}

export function seconds(n: number): Duration {
  return Math.round(n * MICROS_PER_SECOND) as Duration;
}

/**
 * An instant or span in whole milliseconds, rounded down: what Kafka's clocks, record
 * timestamps and `*.ms` settings count in.
 */
export function toMillis(t: Time | Duration): number {
  return Math.floor(t / MICROS_PER_MS);
}

export function addDuration(t: Time, d: Duration): Time {
  return (t + d) as Time;
}

export function elapsed(from: Time, to: Time): Duration {
  return (to - from) as Duration;
}

/** Thrown by {@link parseDuration} with the offending text, so callers can name the field. */
export class DurationSyntaxError extends Error {
  constructor(readonly text: string) {
    super(`invalid duration "${text}": expected a number and a unit (us, ms, s, m, h), e.g. "250us", "5ms", "1.5s", "2m"`);
    this.name = 'DurationSyntaxError';
  }
}

const DURATION_PATTERN = /^\s*(\d*)(?:\.(\d+))?\s*(us|µs|ms|s|m|h)\s*$/;

/**
 * Parses "250us", "5ms", "1.5s", "2m" or "1h" into microseconds, in exact integer arithmetic
 * (no float rounding). A result that is not a whole number of microseconds ("0.5us") is
 * refused rather than rounded, since silent rounding would make two scenario files that
 * look different run identically.
 */
export function parseDuration(text: string): Duration {
  const match = DURATION_PATTERN.exec(text);
  if (match === null || (match[1] === '' && match[2] === undefined)) throw new DurationSyntaxError(text);
  const unit = UNIT_MICROS[match[3]];
  const whole = Number(match[1] || '0') * unit;
  let fraction = 0;
  if (match[2] !== undefined) {
    const digits = match[2].replace(/0+$/, '');
    const scale = 10 ** digits.length;
    const scaled = Number(digits || '0') * unit;
    if (scaled % scale !== 0) throw new DurationSyntaxError(text);
    fraction = scaled / scale;
  }
  const total = whole + fraction;
  if (!Number.isSafeInteger(total)) throw new DurationSyntaxError(text);
  return total as Duration;
}

/**
 * Prints a span in the largest unit that keeps it short and exact to the microsecond,
 * so that parseDuration(formatDuration(d)) === d for every non-negative integer d.
 */
export function formatDuration(d: Duration | number): string {
  if (d < 0) return `-${formatDuration(-d)}`;
  if (d === 0) return '0s';
  if (d % (60 * MICROS_PER_SECOND) === 0 && d >= 60 * MICROS_PER_SECOND) return `${d / (60 * MICROS_PER_SECOND)}m`;
  if (d >= MICROS_PER_SECOND) return `${trimDecimals(d / MICROS_PER_SECOND, 6)}s`;
  if (d >= MICROS_PER_MS) return `${trimDecimals(d / MICROS_PER_MS, 3)}ms`;
  return `${d}us`;
}

/** Prints an instant as seconds with millisecond precision, the way timelines read: "t=10.002s". */
export function formatTime(t: Time | number): string {
  const sign = t < 0 ? '-' : '';
  const abs = Math.abs(t);
  const whole = Math.floor(abs / MICROS_PER_SECOND);
  const frac = Math.floor((abs % MICROS_PER_SECOND) / MICROS_PER_MS);
  return `${sign}${whole}.${String(frac).padStart(3, '0')}s`;
}

function trimDecimals(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, '');
}
