#!/usr/bin/env node
// Runs every compiled test (dist/test/**/*.test.js) with node's test runner. Node 20 does not
// expand globs in `node --test` arguments, so the files are listed here. Extra arguments are
// passed to `node --test` (e.g. --test-name-pattern=...).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files;
try {
  files = testFiles('dist/test');
} catch (err) {
  process.stderr.write(`run-tests: cannot read dist/test (${err.message}); build first: npx tsc -p tsconfig.json\n`);
  process.exit(1);
}
if (files.length === 0) {
  process.stderr.write('run-tests: no dist/test/**/*.test.js; build first: npx tsc -p tsconfig.json\n');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
