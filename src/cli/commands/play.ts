import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { UsageError } from '../usageError.js';

/** Where `npm run build:web` (and `npm ci`'s prepare) writes the playground: dist/playground. */
export const PLAYGROUND_DIR = fileURLToPath(new URL('../../playground/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.yaml': 'text/yaml; charset=utf-8',
};

export interface PlayCliOptions {
  readonly port?: string;
  readonly open?: boolean;
}

/**
 * Serves the static site in `dir` on localhost with Node's own http: GET and HEAD of its
 * files, `/` for index.html, nothing outside the folder. Resolves once it listens.
 */
export function serveSite(dir: string, port: number): Promise<{ readonly server: Server; readonly url: string }> {
  const root = normalize(dir.endsWith(sep) ? dir : `${dir}${sep}`);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new UsageError(`port ${port} is in use: choose another with --port`) : err));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({ server, url: `http://127.0.0.1:${bound}/` });
    });
  });
}

/** `kafkasim play [--port N] [--open]`: serves the built playground on localhost until interrupted. */
export async function playCommand(opts: PlayCliOptions, out: (line: string) => void): Promise<number> {
  const port = opts.port === undefined ? 8080 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${opts.port}"`);
  if (!existsSync(join(PLAYGROUND_DIR, 'index.html'))) throw new UsageError(`the playground is not built in ${PLAYGROUND_DIR}: run npm run build:web`);
  const { url } = await serveSite(PLAYGROUND_DIR, port);
  out(`the playground is at ${url} (Ctrl-C stops it)`);
  if (opts.open === true) openBrowser(url);
  return 0;
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.error(`could not start ${command}: open ${url} yourself`));
  child.unref();
}
