#!/usr/bin/env node
/**
 * Compiles the apps and libs to JavaScript in dist/ with SWC (the same settings Jest and
 * scripts/run-ts.sh use), rewriting the `@wharf/*` path aliases to relative requires. Running the
 * compiled output saves the ~75 MiB the on-the-fly compiler keeps resident.
 */
import { transformFile } from '@swc/core';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
// Built beside dist/ and swapped in at the end, so a second `npm start` (or a test run) from the
// same checkout never leaves a running one without its files half-way through a build.
const out = `${dist}.build-${process.pid}`;
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sources(full);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const files = [...sources(join(root, 'apps')), ...sources(join(root, 'libs')), join(root, 'scripts/migrate.ts')].filter((f) => !f.includes('/testing/'));
// Up to date (same files, none newer than the last build): nothing to do, and nothing is swapped
// under a service that is starting from dist/ right now.
const stampFile = join(dist, '.sources');
const stamp = JSON.stringify([files, Math.max(...files.map((f) => statSync(f).mtimeMs)), readFileSync(join(root, '.swcrc'), 'utf8')]);
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  process.stdout.write('dist/ is up to date\n');
  process.exit(0);
}
rmSync(out, { recursive: true, force: true });
for (const file of files) {
  const { code, map } = await transformFile(file, {
    ...swcrc,
    swcrc: false,
    filename: file,
    sourceMaps: true,
    jsc: { ...swcrc.jsc, baseUrl: root, paths: tsconfig.compilerOptions.paths },
  });
  const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
  if (map) writeFileSync(`${target}.map`, map);
}
writeFileSync(join(out, '.sources'), stamp);
const old = `${dist}.old-${process.pid}`;
try {
  renameSync(dist, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`compiled ${files.length} files to dist/\n`);
