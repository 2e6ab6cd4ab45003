import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incomingFromFileUri, migrateToFileUri } from '../../src/hypervisor/qemu-exec-uri.js';
import { parseXlListDomid, parseXlListState } from '../../src/hypervisor/xen/xl-list-state.js';
import { memoryFilePath } from '../../src/hypervisor/live-snapshot.js';

test('exec: URIs quote safe paths and refuse anything sh could interpret', () => {
  assert.equal(migrateToFileUri('/var/lib/xen/snapshots/3b9c/s1.save'), "exec:cat > '/var/lib/xen/snapshots/3b9c/s1.save'");
  assert.equal(incomingFromFileUri('/srv/st/name-web-1/hourly-20261126T050000Z.save'), "exec:cat '/srv/st/name-web-1/hourly-20261126T050000Z.save'");
  for (const bad of ['relative.save', "/tmp/a'b.save", '/tmp/a b.save', '/tmp/$(reboot).save', '/tmp/a;b', '/tmp/../etc/x', '/tmp/a\nb']) {
    assert.throws(() => migrateToFileUri(bad), { name: 'BackendError', message: `memory file path ${JSON.stringify(bad)} cannot be passed to QEMU's exec: migration (allowed: absolute paths of letters, digits and . _ @ + : , = / -)` });
  }
});

test('xl list parsing: state flags and domid', () => {
  const text = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\nweb-1                                        7   512     1     --p---       1.5\nweb-10                                       9   512     1     -b----       1.5\n';
  assert.equal(parseXlListState(text, 'web-1'), 'paused');
  assert.equal(parseXlListState(text, 'web-10'), 'running');
  assert.equal(parseXlListState(text, 'web-2'), null);
  assert.equal(parseXlListDomid(JSON.stringify([{ domid: 8, config: { c_info: { name: 'web-1' } } }]), 'web-1'), 8);
  assert.equal(parseXlListDomid('not json', 'web-1'), null);
});

test('memory image path: stateDir/<key>/<snapshot>.save', () => {
  assert.equal(memoryFilePath('/var/lib/xen/snapshots', 'name-web-1', 'h-20261126T050000Z'), '/var/lib/xen/snapshots/name-web-1/h-20261126T050000Z.save');
});
