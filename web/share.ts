/** What the URL's hash carries, so that a link reproduces the run: a lesson by name, or the scenario's text, and the seed and moment. */
export interface Shared {
  readonly lesson?: string;
  readonly yaml?: string;
  readonly seed?: number;
  readonly atMs?: number;
}

export function readHash(hash: string): Shared {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const num = (k: string): number | undefined => {
    const v = params.get(k);
    return v === null || !/^\d+$/.test(v) ? undefined : Number(v);
  };
  const yaml = params.get('yaml');
  return {
    ...(params.get('lesson') === null ? {} : { lesson: params.get('lesson') ?? '' }),
    ...(yaml === null ? {} : { yaml: decodeText(yaml) }),
    ...(num('seed') === undefined ? {} : { seed: num('seed') }),
    ...(num('t') === undefined ? {} : { atMs: num('t') }),
  };
}

export function writeHash(s: Shared): string {
  const params = new URLSearchParams();
  if (s.yaml !== undefined) params.set('yaml', encodeText(s.yaml));
  else if (s.lesson !== undefined) params.set('lesson', s.lesson);
  if (s.seed !== undefined) params.set('seed', String(s.seed));
  if (s.atMs !== undefined) params.set('t', String(Math.round(s.atMs)));
  return `#${params.toString()}`;
}

/** UTF-8 as base64url. */
function encodeText(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeText(b64: string): string {
  const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}
