// libxl's userdata lock for the test stand-ins (tools/libs/light/libxl_internal.c libxl__lock_file /
// libxl__unlock_file): open O_RDWR|O_CREAT, flock LOCK_EX (util-linux flock on our fd 3), compare the
// fd's inode with the path's and start again if they differ; release by unlinking, then closing.
// Written apart from src/hypervisor/xen/file-lock.ts on purpose: it plays libxl against xensnap.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

/** The locked fd, or null when the lock was not had by `deadline` (ms since the epoch; null: wait for ever). */
export function libxlLock(file, deadline = null) {
  for (;;) {
    const fd = fs.openSync(file, 'a+', 0o666);
    const wait = deadline === null ? [] : ['--wait', String(Math.max(1, Math.ceil((deadline - Date.now()) / 1000)))];
    const r = spawnSync('flock', ['--exclusive', ...wait, '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    if (r.status !== 0) {
      fs.closeSync(fd);
      return null;
    }
    let st = null;
    try { st = fs.statSync(file); } catch {}
    const mine = fs.fstatSync(fd);
    if (st && st.ino === mine.ino && st.dev === mine.dev) return fd;
    fs.closeSync(fd);
  }
}

export function libxlUnlock(file, fd) {
  try { fs.unlinkSync(file); } catch {}
  fs.closeSync(fd);
}
