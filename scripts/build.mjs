/**
 * @module Bundles the demo page (apps/demo) into apps/demo/dist: index.html, app.js, app.css and
 * their source maps. Run from anywhere; prints one line.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const demoDir = path.join(repoRoot, 'apps/demo');
const outdir = path.join(demoDir, 'dist');

const started = performance.now();
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

try {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { app: path.join(demoDir, 'src/main.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    // zod (via the protocol package) is most of the bundle; source maps keep stack traces readable.
    minify: true,
    // The SDK imports `ws` only dynamically, when it runs in Node.
    external: ['ws'],
    metafile: true,
    logLevel: 'warning',
  });
  await copyFile(path.join(demoDir, 'index.html'), path.join(outdir, 'index.html'));

  const sizes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, output]) => `${path.basename(file)} ${(output.bytes / 1024).toFixed(1)} kB`);
  const elapsed = Math.round(performance.now() - started);
  console.log(`demo built: ${path.relative(repoRoot, outdir)}/{index.html, ${sizes.join(', ')}} in ${elapsed} ms`);
} catch {
  // esbuild has already printed the errors.
  console.error('demo build failed');
  process.exit(1);
}
