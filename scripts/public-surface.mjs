/**
 * Measures a package's public surface: the names each entry of its `exports`
 * offers (values and types, as tsc sees them) and how many of them code
 * outside the package imports (packages, apps, bench, READMEs). For reviews
 * of what an entry should hold; `--unused` lists the names nothing outside uses.
 *
 *   node scripts/workspace.mjs run node scripts/public-surface.mjs <package dir name> [--unused]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const [pkg, flag] = process.argv.slice(2);
if (pkg === undefined) {
  console.error('usage: public-surface.mjs <package dir name, e.g. core> [--unused]');
  process.exit(2);
}
const ts = createRequire(join(root, 'package.json'))('typescript');
const pkgDir = join(root, 'packages', pkg);
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const entries = Object.entries(manifest.exports).map(([sub, conditions]) => [
  sub,
  join(pkgDir, conditions['@pingora-ts/source']),
]);

/** Names exported by each entry, from the type checker (so `export type` counts too). */
const program = ts.createProgram(
  entries.map(([, file]) => file),
  {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ESNext,
    customConditions: ['@pingora-ts/source'],
  },
);
const checker = program.getTypeChecker();
const exported = new Map();
for (const [sub, file] of entries) {
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  exported.set(
    sub,
    symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((s) => s.name),
  );
}

/** Names imported from each entry by files outside the package: entry -> name -> places. */
const used = new Map();
const importRe = new RegExp(
  `(?:import|export)\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*['"]${manifest.name}(/[a-z0-9-]+)?['"]`,
  'g',
);
function scan(path) {
  const rel = relative(root, path);
  if (rel.startsWith(`packages/${pkg}/`)) return;
  for (const m of readFileSync(path, 'utf8').matchAll(importRe)) {
    const sub = m[2] === undefined ? '.' : `.${m[2]}`;
    const names = used.get(sub) ?? new Map();
    used.set(sub, names);
    for (const item of m[1].split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)[0]
        .trim();
      if (name === '') continue;
      const places = names.get(name) ?? new Set();
      places.add(rel.split('/').slice(0, 2).join('/'));
      names.set(name, places);
    }
  }
}
function walk(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return;
  if (stat.isFile()) {
    if (/\.(ts|mts|mjs|md)$/.test(path)) scan(path);
    return;
  }
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    walk(join(path, name));
  }
}
for (const top of ['packages', 'apps', 'bench', 'tooling', 'scripts', 'README.md'])
  walk(join(root, top));

for (const [sub, names] of exported) {
  const outside = used.get(sub) ?? new Map();
  const unused = names.filter((n) => !outside.has(n));
  console.log(`${sub}: ${names.length} names, ${names.length - unused.length} used outside ${pkg}`);
  if (flag === '--unused' && unused.length > 0)
    console.log(`  not used outside: ${unused.join(' ')}`);
  const missing = [...outside.keys()].filter((n) => !names.includes(n));
  if (missing.length > 0) console.log(`  imported but not exported: ${missing.join(' ')}`);
}
