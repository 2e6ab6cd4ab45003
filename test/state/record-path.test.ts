import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDomainKey, isDomainKey, recordPath } from '../../src/state/index.js';
import { UUID } from './sample-record.js';

const nameError = (n: string) =>
  `invalid snapshot name ${JSON.stringify(n)}: use 1 to 100 letters, digits, '.', '_' and '-', not starting with '.' or '-'`;
const keyError = (k: string) =>
  `invalid domain key ${JSON.stringify(k)}: expected a UUID or "name-" followed by a domain name of letters, digits, '.', '_' and '-'`;

function throwsUserInput(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: Error) => {
    assert.equal(err.name, 'UserInputError');
    assert.equal(err.message, message);
    return true;
  });
}

test('recordPath builds stateDir/<key>/snapshotdata-<name>.json for UUID and name- keys', () => {
  assert.equal(recordPath('/var/lib/xen/snapshots', UUID, 'web-hourly-20240101T100000Z'), `/var/lib/xen/snapshots/${UUID}/snapshotdata-web-hourly-20240101T100000Z.json`);
  assert.equal(recordPath('/s', 'name-web-1', 'manual_1.b'), '/s/name-web-1/snapshotdata-manual_1.b.json');
  assert.equal(recordPath('/s', UUID.toUpperCase(), 'x'), `/s/${UUID.toUpperCase()}/snapshotdata-x.json`);
  assert.equal(recordPath('/s', UUID, 'n'.repeat(100)), `/s/${UUID}/snapshotdata-${'n'.repeat(100)}.json`);
});

test('recordPath rejects unsafe snapshot names before building a path', () => {
  for (const bad of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200), 'n'.repeat(101), 'a\0b', '-rf', 'a b', '..', '.', 'é', 'a\\b']) {
    throwsUserInput(() => recordPath('/s', UUID, bad), nameError(bad));
  }
});

test('recordPath rejects unsafe domain keys before building a path', () => {
  for (const bad of ['', '.', '..', '../x', 'a/b', 'name-', 'name-../x', 'name-.x', 'name--x', 'name-a/b', 'name-a\0', 'web-1', `${UUID}/..`, `${UUID}x`, '.journal', '.lock']) {
    throwsUserInput(() => recordPath('/s', bad, 'ok'), keyError(bad));
    assert.equal(isDomainKey(bad), false, bad);
  }
  for (const good of [UUID, 'name-web-1', 'name-_x.y', `name-${'d'.repeat(100)}`]) {
    assert.equal(isDomainKey(good), true, good);
    checkDomainKey(good);
  }
  assert.equal(isDomainKey(`name-${'d'.repeat(101)}`), false);
});
