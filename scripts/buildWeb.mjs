#!/usr/bin/env node
// Builds the playground (web/) into a static site: dist/playground/{index.html, app.js, worker.js, app.css}.
// The engine is bundled as it is, with its few Node seams swapped for browser twins:
//  - a module X.ts beside which X.browser.ts exists is replaced by the twin (src/log/gzip, src/log/crc32cNative);
//  - src/scenarios/libraryFiles.ts and src/web/docsText.ts become data generated here (the library's
//    lessons, docs/lessons.md and docs/glossary.md), so nothing reads a file system;
//  - Buffer is the `buffer` package, injected where the engine uses the global;
//  - what stays unreachable of Node (node:fs in the loader's loadScenario, FsDisk, the JSONL sink) is a
//    module that throws if ever called.
//
//   node scripts/buildWeb.mjs [--out DIR] [--quiet]
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const outIndex = process.argv.indexOf('--out');
const out = outIndex < 0 ? join(root, 'dist/playground') : process.argv[outIndex + 1];
const quiet = process.argv.includes('--quiet');

const library = join(root, 'src/scenarios/library');
const lessonFiles = readdirSync(library).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f.slice(0, -5), path: `library/${f}`, text: readFileSync(join(library, f), 'utf8') }));
const generated = {
  [join(root, 'src/scenarios/libraryFiles.ts')]: `export const LIBRARY_DIR = 'library/';\nconst files = ${JSON.stringify(lessonFiles)};\nexport function libraryFiles() { return files.map((f) => ({ ...f })); }\n`,
  [join(root, 'src/web/docsText.ts')]: `const docs = ${JSON.stringify({ lessons: readFileSync(join(root, 'docs/lessons.md'), 'utf8'), glossary: readFileSync(join(root, 'docs/glossary.md'), 'utf8') })};\nexport function docsText() { return docs; }\n`,
};

/** The seams: browser twins, generated data, and Node's modules as stubs. */
const seams = {
  name: 'kafkasim-browser-seams',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
      contents: `const unavailable = (name) => () => { throw new Error(name + ' (${args.path}) is not available in the browser'); };\n` +
        `export const readFileSync = unavailable('readFileSync'), readdirSync = unavailable('readdirSync'), openSync = unavailable('openSync'), writeSync = unavailable('writeSync'), closeSync = unavailable('closeSync'), appendFileSync = unavailable('appendFileSync'), existsSync = unavailable('existsSync'), fsyncSync = unavailable('fsyncSync'), ftruncateSync = unavailable('ftruncateSync'), mkdirSync = unavailable('mkdirSync'), readSync = unavailable('readSync'), renameSync = unavailable('renameSync'), statSync = unavailable('statSync'), unlinkSync = unavailable('unlinkSync'), createRequire = unavailable('createRequire'), gzipSync = unavailable('gzipSync'), gunzipSync = unavailable('gunzipSync');\n` +
        `export const join = (...parts) => parts.join('/');\nexport const fileURLToPath = (u) => String(u);\n`,
      loader: 'js',
    }));
    b.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith('.')) return undefined;
      const ts = join(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      if (generated[ts] !== undefined) return { path: ts, namespace: 'generated' };
      const twin = ts.replace(/\.ts$/, '.browser.ts');
      return existsSync(twin) ? { path: twin } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'generated' }, (args) => ({ contents: generated[args.path], loader: 'js' }));
  },
};

mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [seams],
  inject: [join(root, 'web/bufferShim.js')],
  define: { 'process.env.NODE_ENV': '"production"' },
};
await build({ ...common, entryPoints: { worker: join(root, 'web/worker.ts') }, outdir: out });
if (existsSync(join(root, 'web/main.tsx'))) {
  await build({ ...common, entryPoints: { app: join(root, 'web/main.tsx') }, outdir: out, jsx: 'automatic', jsxImportSource: 'preact' });
}
for (const f of ['index.html', 'app.css']) if (existsSync(join(root, 'web', f))) copyFileSync(join(root, 'web', f), join(out, f));

const sizes = readdirSync(out).filter((f) => /\.(js|css|html)$/.test(f)).map((f) => {
  const bytes = readFileSync(join(out, f));
  return { file: f, bytes: bytes.length, gzipped: gzipSync(bytes).length };
});
const total = sizes.reduce((s, x) => s + x.gzipped, 0);
writeFileSync(join(out, 'sizes.json'), `${JSON.stringify({ files: sizes, gzipped: total }, null, 1)}\n`);
if (!quiet) {
  for (const s of sizes) console.log(`${s.file.padEnd(12)} ${String(s.bytes).padStart(9)} bytes, ${String(s.gzipped).padStart(8)} gzipped`);
  console.log(`playground in ${out}: ${(total / 1024).toFixed(1)} KB gzipped`);
}
