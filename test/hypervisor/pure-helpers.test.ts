import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incomingFromFileUri, migrateToFileUri } from '../../src/hypervisor/qemu-exec-uri.js';
import { parseXlListDomid, parseXlListInstance, parseXlListState } from '../../src/hypervisor/xen/xl-list-state.js';
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
  assert.deepEqual(parseXlListDomid(JSON.stringify([{ domid: 8, config: { c_info: { name: 'web-1', uuid: 'AAAAAAAA-0000-4000-8000-000000000000' } } }]), 'web-1'), { domid: 8, uuid: 'aaaaaaaa-0000-4000-8000-000000000000' });
  assert.deepEqual(parseXlListDomid(JSON.stringify([{ domid: 8, config: { c_info: { name: 'web-1' } } }]), 'web-1'), { domid: 8, uuid: null });
  assert.equal(parseXlListDomid('not json', 'web-1'), null);
  // shut down (any reason), crashed, dying or unreadable: never "running", never "gone"
  const one = (flags: string) => `Name                                        ID   Mem VCPUs\tState\tTime(s)\nweb-1                                        7   512     1     ${flags}       1.5\n`;
  assert.equal(parseXlListState(one('r-----'), 'web-1'), 'running');
  assert.throws(() => parseXlListState(one('---sw-'), 'web-1'), { name: 'BackendError', message: 'domain web-1 is shut down (watchdog) (xl list state ---sw-)' });
  assert.throws(() => parseXlListState(one('---sc-'), 'web-1'), { name: 'BackendError', message: 'domain web-1 is crashed (xl list state ---sc-)' });
  assert.throws(() => parseXlListState(one('-----d'), 'web-1'), { name: 'BackendError', message: 'domain web-1 is dying (xl list state -----d)' });
  assert.throws(() => parseXlListState(one('--x---'), 'web-1'), { name: 'BackendError', message: 'xl list web-1: state --x--- cannot be read' });
});

test('xl list -v: domid and instance UUID without QMP', () => {
  const text = 'Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID                            Reason-Code\tSecurity Label\n' +
    'web-1                                        7   512     1     -b----       1.5 039e9ee6-4a84-3055-4c81-8ba426ae2656        -                -\n';
  assert.deepEqual(parseXlListInstance(text, 'web-1'), { domid: 7, uuid: '039e9ee6-4a84-3055-4c81-8ba426ae2656' });
  assert.equal(parseXlListInstance(text, 'web-2'), null);
});

test('memory image path: stateDir/<key>/<snapshot>.save', () => {
  assert.equal(memoryFilePath('/var/lib/xen/snapshots', 'name-web-1', 'h-20261126T050000Z'), '/var/lib/xen/snapshots/name-web-1/h-20261126T050000Z.save');
});
