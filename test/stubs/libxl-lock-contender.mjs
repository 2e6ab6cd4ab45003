#!/usr/bin/env node
// Plays libxl taking and giving back a userdata lock (libxl-lock.mjs), `rounds` times, holding it
// `holdMs` while appending "enter <who>" / "leave <who>" to `log`.
//   libxl-lock-contender.mjs LOCKFILE ROUNDS HOLD_MS LOG WHO
import fs from 'node:fs';
import { libxlLock, libxlUnlock } from './libxl-lock.mjs';

const [file, rounds, holdMs, log, who] = process.argv.slice(2);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (let i = 0; i < Number(rounds); i++) {
  const fd = libxlLock(file);
  if (fd === null) process.exit(2);
  fs.appendFileSync(log, `enter ${who}\n`);
  sleep(Number(holdMs));
  fs.appendFileSync(log, `leave ${who}\n`);
  libxlUnlock(file, fd);
}
