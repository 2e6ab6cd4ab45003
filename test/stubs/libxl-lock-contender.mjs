#!/usr/bin/env node
// Plays libxl taking and giving back a userdata lock (tools/libs/light/libxl_internal.c
// libxl__lock_file / libxl__unlock_file), `rounds` times: open O_RDWR|O_CREAT, flock LOCK_EX
// (util-linux flock on our fd 3), compare the fd's inode with the path's and start again if they
// differ; hold `holdMs` while appending "enter <who>" / "leave <who>" to `log`; unlink, then close.
//   libxl-lock-contender.mjs LOCKFILE ROUNDS HOLD_MS LOG WHO
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

const [file, rounds, holdMs, log, who] = process.argv.slice(2);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (let i = 0; i < Number(rounds); i++) {
  let fd;
  for (;;) {
    fd = fs.openSync(file, 'a+', 0o666);
    const r = spawnSync('flock', ['--exclusive', '3'], { stdio: ['ignore', 'ignore', 'inherit', fd] });
    if (r.status !== 0) process.exit(2);
    let st = null;
    try { st = fs.statSync(file); } catch {}
    const mine = fs.fstatSync(fd);
    if (st && st.ino === mine.ino && st.dev === mine.dev) break;
    fs.closeSync(fd);
  }
  fs.appendFileSync(log, `enter ${who}\n`);
  sleep(Number(holdMs));
  fs.appendFileSync(log, `leave ${who}\n`);
  fs.unlinkSync(file);
  fs.closeSync(fd);
}
