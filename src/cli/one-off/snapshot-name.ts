import type { Domain } from '../../model/domain.js';
import type { Observed } from '../../model/observed.js';
import type { SnapshotType } from '../../model/policy.js';
import { SNAPSHOT_NAME_RE } from '../../model/policy.js';
import { frozenImagePath } from '../../backends/backend.js';
import { recordPath } from '../../state/index.js';
import { UserInputError } from '../../errors.js';
import { ownerWords } from './find-target.js';
import { pathExists } from '../../util/path-exists.js';

const DIGITS_ONLY = /^[0-9]+$/;

/**
 * The name `create` uses without `-n`: the epoch seconds, as the seed proposed — except for
 * internal snapshots, where `qemu-img snapshot -d` would take a digits-only name as a snapshot
 * id, so those get `manual-<epoch seconds>`.
 */
export function defaultSnapshotName(type: SnapshotType, now: Date): string {
  const epoch = String(Math.floor(now.getTime() / 1000));
  return type === 'internal' ? `manual-${epoch}` : epoch;
}

/** Throws UserInputError unless `name` may name a one-off snapshot of this type. */
export function checkOneOffName(command: string, name: string, type: SnapshotType): void {
  if (!SNAPSHOT_NAME_RE.test(name)) {
    throw new UserInputError(`${command}: invalid snapshot name ${JSON.stringify(name)}: use 1 to 100 letters, digits, '.', '_' and '-', not starting with '.' or '-'`);
  }
  if (type === 'internal' && DIGITS_ONLY.test(name)) {
    throw new UserInputError(`${command}: internal snapshot name "${name}" is refused: qemu-img would take a name made only of digits as a snapshot id; use a name with a letter in it`);
  }
}


/**
 * Throws UserInputError when `name` is taken on the domain: by an observed snapshot (managed or
 * foreign), by a record file, or — for external snapshots — by a file at a disk's frozen path.
 */
export async function checkNameFree(observed: Observed, stateDir: string, domain: Domain, name: string, type: SnapshotType, disks: string[]): Promise<void> {
  const taken = observed.snapshots.find((s) => s.domainKey === domain.key && s.name === name);
  if (taken) {
    throw new UserInputError(`create: domain ${domain.name} already has a snapshot named "${name}" (${ownerWords(taken)}); nothing was changed; choose another name with -n`);
  }
  if (await pathExists(recordPath(stateDir, domain.key, name))) {
    throw new UserInputError(`create: a record of snapshot "${name}" already exists for domain ${domain.name} (${recordPath(stateDir, domain.key, name)}); nothing was changed; choose another name with -n`);
  }
  if (type !== 'external') return;
  for (const d of domain.disks.filter((x) => disks.includes(x.vdev))) {
    const frozen = frozenImagePath(d.path, name);
    if (await pathExists(frozen)) throw new UserInputError(`create: ${frozen} already exists, so disk ${d.vdev} cannot be frozen under the name "${name}"; nothing was changed; choose another name with -n`);
  }
}
