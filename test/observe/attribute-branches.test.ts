import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeBranches, claimByName } from '../../src/observe/attribute-branches.js';

const A = { id: 'a\u0000xvda', domain: 'a', vdev: 'xvda', chain: ['/i/a.qcow2', '/i/a@h2.qcow2', '/t/base.qcow2'] };
const B = { id: 'b\u0000xvda', domain: 'b', vdev: 'xvda', chain: ['/i/b.qcow2', '/t/base.qcow2'] };

test('side branches reading through a chain belong to its disk; a base two chains read is shared', () => {
  const loose = [
    { path: '/i/a@h3.qcow2', backing: '/i/a@h2.qcow2' },
    { path: '/i/a@pre.qcow2', backing: '/i/a@h3.qcow2' },
    { path: '/i/clone.qcow2', backing: '/i/a@h2.qcow2' }, // someone's image over one of a's snapshots
    { path: '/i/unrelated.qcow2', backing: '/elsewhere/x.qcow2' },
  ];
  const r = attributeBranches([A, B], loose, new Map([['/i/clone.qcow2', B.id]]));
  assert.deepEqual(r.get(A.id), {
    branches: ['/i/a@h3.qcow2', '/i/a@pre.qcow2'],
    sharedWith: [
      { path: '/i/a@h2.qcow2', by: [{ domain: 'b', vdev: 'xvda' }] },
      { path: '/t/base.qcow2', by: [{ domain: 'b', vdev: 'xvda' }] },
    ],
  });
  assert.deepEqual(r.get(B.id), { branches: ['/i/clone.qcow2'], sharedWith: [{ path: '/t/base.qcow2', by: [{ domain: 'a', vdev: 'xvda' }] }] });
});

test('a side tree a merge cut off from the chain stays the disk\'s: by record, by xensnap\'s name, and down to its root', () => {
  // the base both branches read was streamed into both: each became a root
  const loose = [
    { path: '/i/a@s12.qcow2', backing: null },
    { path: '/i/a@pre14.qcow2', backing: '/i/a@s12.qcow2' },
    { path: '/i/a@s25.qcow2', backing: null },
    { path: '/i/a@s26.qcow2', backing: '/i/a@s25.qcow2' },
    { path: '/i/foreign-root.qcow2', backing: null },
    { path: '/i/foreign-top.qcow2', backing: '/i/foreign-root.qcow2' },
  ];
  const owners = [A];
  const byRecord = attributeBranches(owners, loose, new Map([['/i/a@pre14.qcow2', A.id]]));
  assert.deepEqual(byRecord.get(A.id)!.branches, ['/i/a@pre14.qcow2', '/i/a@s12.qcow2'], 'a recorded image and the root it reads through');
  const byName = attributeBranches(owners, loose, claimByName(owners, loose, new Map()));
  assert.deepEqual(byName.get(A.id)!.branches, ['/i/a@pre14.qcow2', '/i/a@s12.qcow2', '/i/a@s25.qcow2', '/i/a@s26.qcow2']);
});
