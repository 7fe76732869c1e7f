#!/usr/bin/env node
// Builds the admin web UI (src/admin-ui) into dist/admin-ui: app.js (Preact +
// htm + uPlot and our pages, minified, ES2020), app.css (ours and uPlot's),
// index.html and favicon.svg, with linked source maps. Part of `npm run build`;
// `npm run build:ui` alone. Tests can call buildUi(outDir) in-process.

import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'src/admin-ui');
export const defaultOutDir = join(root, 'dist/admin-ui');

/**
 * Builds the UI into outDir (emptied first) and returns the size of each file
 * there, raw and gzipped. Throws when esbuild reports an error.
 */
export async function buildUi(outDir = defaultOutDir) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: [
      { in: join(source, 'main.ts'), out: 'app' },
      { in: join(source, 'style.css'), out: 'app' },
    ],
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: 'linked',
    tsconfig: join(source, 'tsconfig.json'),
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'silent',
  });
  await Promise.all(['index.html', 'favicon.svg'].map((name) => copyFile(join(source, name), join(outDir, name))));

  const sizes = [];
  for (const name of ['index.html', 'app.js', 'app.css', 'favicon.svg']) {
    const bytes = await readFile(join(outDir, name));
    sizes.push({ name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  return sizes;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2] ?? defaultOutDir;
  try {
    const sizes = await buildUi(outDir);
    console.log(`admin UI built into ${relative(process.cwd(), outDir) || '.'}:`);
    for (const s of sizes) console.log(`  ${s.name.padEnd(12)} ${kb(s.bytes).padStart(10)}  (gzip ${kb(s.gzip)})`);
  } catch (err) {
    // esbuild's errors carry file:line already; print them and fail the build.
    for (const e of err.errors ?? []) console.error(`${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`);
    if (!err.errors?.length) console.error(err);
    process.exit(1);
  }
}
