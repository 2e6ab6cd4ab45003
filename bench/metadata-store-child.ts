// Child process of metadata-store.bench: times readAllRecords on a prepared state directory in a
// fresh process, so the peak RSS it prints is the reader's own. Prints one JSON line.
import { readAllRecords } from '../src/state/read-records.js';
import { peakRssMiB } from './stats.js';

const stateDir = process.argv[2];
if (!stateDir) throw new Error('usage: metadata-store-child STATE_DIR');
const rssBefore = peakRssMiB();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const all = await readAllRecords(stateDir);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
let records = 0;
let problems = 0;
for (const d of all.values()) {
  records += d.records.length;
  problems += d.problems.length;
}
console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: peakRssMiB(), rssBeforeMiB: rssBefore, domains: all.size, records, problems }));
