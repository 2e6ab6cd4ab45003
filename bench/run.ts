// `npm run bench`: runs every bench/*.bench.js (compiled) in turn, or those named on the command line.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js')).sort();
for (const file of files) {
  const name = file.replace(/\.bench\.js$/, '');
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n## ${name}`);
  const mod = (await import(join(here, file))) as { default: () => Promise<void> };
  await mod.default();
}
