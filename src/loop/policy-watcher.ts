import { watch, type FSWatcher } from 'chokidar';
import { stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import type { Timers, TimerHandle } from './timers.js';
import type { Logger } from './logger.js';
import { POLICY_FILE_RE } from '../policy/find-policy-files.js';

/** A running watch on the policy dir; `close` stops every watcher and pending timer. */
export interface PolicyWatcher {
  close(): Promise<void>;
}

export interface PolicyWatchOptions {
  timers: Timers;
  /** Quiet time after the last event before `onChange` fires (a Git checkout writes many files). */
  debounceMs?: number;
  log: Logger;
  onChange(): void;
}

/** Hidden entries below the root (.git, editor swap files, Git's *.lock temp names) never matter. */
function hiddenBelow(root: string, p: string): boolean {
  const rel = relative(root, p);
  if (!rel || rel.startsWith('..')) return false;
  return rel.split(sep).some((c) => c.startsWith('.'));
}

/** Events that can change the policy set: policy files, and directories (may hold some). */
function relevant(root: string, event: string, p: string): boolean {
  if (hiddenBelow(root, p)) return false;
  if (event === 'addDir' || event === 'unlinkDir') return true;
  return POLICY_FILE_RE.test(p);
}

/**
 * Watches `dir` (recursively, following symlinks) and, with depth 0, its parent for `dir`
 * itself being replaced — a rename of a fresh checkout into place or a symlink swap (git-sync)
 * leaves an inotify watch on the old inode, so the main watch is then re-created. Editors'
 * and Git's temp-file-then-rename writes show as changes of the final name (chokidar `atomic`);
 * temp names themselves are filtered out. All events within the debounce window make one call.
 */
export async function watchPolicyDir(dirArg: string, opts: PolicyWatchOptions): Promise<PolicyWatcher> {
  const dir = resolve(dirArg);
  const debounceMs = opts.debounceMs ?? 500;
  let timer: TimerHandle | null = null;
  let closed = false;
  let main: FSWatcher | null = null;

  // identity of the directory the main watch is on; a different one at `dir` means replaced
  let watchedId: string | null = null;
  const dirId = () => stat(dir).then((st) => `${st.dev}:${st.ino}`, () => null);
  let restarting: Promise<void> = Promise.resolve();
  const settle = async () => {
    const now = await dirId();
    if (now !== watchedId) {
      opts.log.debug('policy dir replaced: re-watching', { dir });
      restarting = restarting.then(startMain);
      await restarting;
    }
  };

  const fire = () => {
    if (closed) return;
    if (timer) opts.timers.clearTimeout(timer);
    // acting only once events stop: a replacement is a burst (unlink, add) of the root
    timer = opts.timers.setTimeout(() => {
      timer = null;
      if (closed) return;
      settle()
        .catch((err) => opts.log.warn('policy dir re-watch failed', { dir, error: (err as Error).message }))
        .finally(() => {
          if (!closed) opts.onChange();
        });
    }, debounceMs);
  };

  const startMain = async () => {
    const old = main;
    main = null;
    if (old) await old.close();
    if (closed) return;
    watchedId = await dirId();
    const w = watch(dir, {
      ignoreInitial: true,
      followSymlinks: true,
      atomic: true,
      ignored: (p: string) => hiddenBelow(dir, p),
    });
    w.on('all', (event, p) => {
      if (relevant(dir, event, p)) fire();
      // the root itself vanished: its replacement is seen by the parent watch
    });
    w.on('error', (err) => opts.log.warn('policy dir watch error', { dir, error: (err as Error)?.message ?? String(err) }));
    await new Promise<void>((r) => w.once('ready', () => r()));
    main = w;
  };

  const parent = watch(dirname(dir), { ignoreInitial: true, depth: 0, followSymlinks: false, atomic: false });
  parent.on('all', (event, p) => {
    if (resolve(p) !== dir || closed) return;
    opts.log.debug('policy dir entry changed', { dir, event });
    fire();
  });
  parent.on('error', (err) => opts.log.warn('policy dir parent watch error', { dir, error: (err as Error)?.message ?? String(err) }));
  await Promise.all([startMain(), new Promise<void>((r) => parent.once('ready', () => r()))]);
  opts.log.debug('watching policy dir', { dir, parent: basename(dirname(dir)) });

  return {
    async close() {
      closed = true;
      if (timer) opts.timers.clearTimeout(timer);
      timer = null;
      await restarting.catch(() => {});
      await Promise.all([main?.close(), parent.close()]);
    },
  };
}
