/**
 * Packs every published package (packages/*, not private) with `pnpm pack`,
 * as the registry would get it (workspace:^ ranges become version ranges),
 * and, with --check, lints each tarball with publint and
 * @arethetypeswrong/cli (ESM-only profile) and type-checks the published
 * declarations together (skipLibCheck off). Needs `npm run build` first.
 *
 *   node scripts/workspace.mjs run node scripts/pack-packages.mjs <out-dir> [--check] [--for <name>]
 *
 * `--for <name>` packs only the packages workspace package <name> (e.g. an
 * app) depends on, directly or not. Prints `<package name> <tarball path>`
 * per line on stdout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const [outArg, ...flags] = process.argv.slice(2);
if (outArg === undefined) {
  console.error('usage: pack-packages.mjs <out-dir> [--check]');
  process.exit(2);
}
const out = resolve(outArg);
const check = flags.includes('--check');
const forIndex = flags.indexOf('--for');
const forName = forIndex >= 0 ? flags[forIndex + 1] : undefined;
mkdirSync(out, { recursive: true });

/** Workspace manifests by package name (packages/* and apps/*). */
function workspaceManifests() {
  const byName = new Map();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const path = join(root, group, name, 'package.json');
      if (!existsSync(path)) continue;
      const manifest = JSON.parse(readFileSync(path, 'utf8'));
      byName.set(manifest.name, manifest);
    }
  }
  return byName;
}

/** The workspace packages `name` depends on (dependencies and peers, transitively). */
function closureOf(name) {
  const manifests = workspaceManifests();
  const seen = new Set();
  const visit = (n) => {
    const m = manifests.get(n);
    if (m === undefined) throw new Error(`${n} is not a workspace package`);
    for (const dep of Object.keys({ ...m.dependencies, ...m.peerDependencies })) {
      if (manifests.has(dep) && !seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  return seen;
}

const wanted = forName === undefined ? undefined : closureOf(forName);

const tarballs = [];
const failures = [];
/** The published declarations, checked together as a user's tsc would read them. */
const dtsFiles = [];

/**
 * Type-checks the published declarations on their own (skipLibCheck off, no
 * source condition, so imports between packages resolve to their dist/): a
 * class stripped of an `@internal` member its `implements` clause needs, or a
 * declaration naming a type no entry exports, fails here and not in a user's build.
 */
function checkDeclarations() {
  const tsconfig = join(out, 'tsconfig.declarations.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        lib: ['es2023'],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: dtsFiles,
    }),
  );
  try {
    execFileSync('tsc', ['-p', tsconfig], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    console.error(`ok   tsc the published declarations (${dtsFiles.length} files)`);
  } catch (err) {
    failures.push(`tsc the published declarations:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    console.error('FAIL tsc the published declarations');
  }
}
for (const name of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', name);
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private === true) continue;
  if (wanted !== undefined && !wanted.has(manifest.name)) continue;
  if (!existsSync(join(dir, 'dist'))) {
    failures.push(`${manifest.name}: no dist/ (run npm run build first)`);
    continue;
  }
  const printed = execFileSync('pnpm', ['pack', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tgz = printed.trim().split('\n').pop();
  const path = resolve(dir, tgz);
  tarballs.push(`${manifest.name} ${path}`);
  if (!check) continue;
  for (const f of readdirSync(join(dir, 'dist'))) {
    if (f.endsWith('.d.ts')) dtsFiles.push(join(dir, 'dist', f));
  }
  for (const [tool, args] of [
    ['publint', ['run', path, '--strict']],
    ['attw', [path, '--profile', 'esm-only', '--format', 'table-flipped', '--no-emoji']],
  ]) {
    try {
      execFileSync(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      console.error(`ok   ${tool} ${manifest.name}`);
    } catch (err) {
      failures.push(`${tool} ${manifest.name}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      console.error(`FAIL ${tool} ${manifest.name}`);
    }
  }
}
if (check && dtsFiles.length > 0) checkDeclarations();
for (const t of tarballs) console.log(t);
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
