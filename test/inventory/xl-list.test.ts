import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BackendError } from '../../src/errors.js';
import { diskFromLibxl, parseXlListLong, parseXlListTable } from '../../src/inventory/xl-list.js';
import type { XlStateFlags } from '../../src/inventory/xl-state-flags.js';
import { FIXTURES } from './paths.js';

const fixture = (n: string) => readFileSync(`${FIXTURES}/${n}`, 'utf8');

test('libxl JSON basic-pv: the raw image file on qdisk, read-write', () => {
  const cfg = JSON.parse(fixture('libxl-config-basic-pv.json'));
  const problems: string[] = [];
  assert.deepEqual(cfg.disks.map((d: unknown) => diskFromLibxl(d, problems)), [
    { vdev: 'xvda', path: '/var/lib/xen/images/test-pv.img', format: 'raw', backend: 'qdisk', readonly: false, cdrom: false, qdiskOptions: { directIo: false, discard: true } },
  ]);
  // libxl's settings for xen-block: direct_io_safe and discard_enable (a defbool; "default" follows readwrite)
  const opts = (extra: object) => diskFromLibxl({ vdev: 'xvdb', pdev_path: '/srv/b.qcow2', backend: 'qdisk', format: 'qcow2', readwrite: 1, ...extra }, problems)!.qdiskOptions;
  assert.deepEqual(opts({ direct_io_safe: true, discard_enable: 'False' }), { directIo: true, discard: false });
  assert.deepEqual(opts({ direct_io_safe: 'True', discard_enable: 'default' }), { directIo: true, discard: true });
  assert.deepEqual(opts({ readwrite: 0 }), { directIo: false, discard: false });
  assert.equal(diskFromLibxl({ vdev: 'xvdc', pdev_path: '/srv/c.vhd', backend: 'tap', format: 'vhd', readwrite: 1 }, problems)!.qdiskOptions, undefined);
  assert.deepEqual(problems, []);
});

test('libxl JSON moredevs-hvm: the CD-ROM has no readwrite field, so it is read-only, and is_cdrom', () => {
  const cfg = JSON.parse(fixture('libxl-config-moredevs-hvm.json'));
  const problems: string[] = [];
  assert.deepEqual(cfg.disks.map((d: unknown) => diskFromLibxl(d, problems)), [
    { vdev: 'hda', path: '/var/lib/xen/images/test-hvm.img', format: 'raw', backend: 'qdisk', readonly: false, cdrom: false, qdiskOptions: { directIo: false, discard: true } },
    { vdev: 'hdb', path: '/root/boot.iso', format: 'raw', backend: 'qdisk', readonly: true, cdrom: true },
  ]);
  assert.deepEqual(problems, []);
});

test('xl list -l example: both domains with domid, name, uuid and disks', () => {
  const doms = parseXlListLong(fixture('xl-list-l.example.json'));
  assert.deepEqual(
    doms.map((d) => [d.domid, d.name, d.uuid, d.disks.map((x) => `${x.vdev}:${x.cdrom ? 'cdrom' : x.readonly ? 'ro' : 'rw'}`), d.problems]),
    [
      [3, 'test-pv', '039e9ee6-4a84-3055-4c81-8ba426ae2656', ['xvda:rw'], []],
      [7, 'test-hvm', '2147d599-9cc6-c0dc-92ab-4064b5446e9b', ['hda:rw', 'hdb:cdrom'], []],
    ],
  );
});

test('libxl defaults: missing format/pdev_path, unknown backend and missing vdev are reported', () => {
  const problems: string[] = [];
  assert.deepEqual(diskFromLibxl({ vdev: 'hdc', backend: 'qdisk', is_cdrom: 1 }, problems), {
    vdev: 'hdc', path: '', format: 'empty', backend: 'qdisk', readonly: true, cdrom: true,
  });
  assert.equal(diskFromLibxl({ vdev: 'xvda', pdev_path: '/x' }, problems), null);
  assert.equal(diskFromLibxl({ pdev_path: '/x', backend: 'phy' }, problems), null);
  assert.deepEqual(problems, ['disk xvda has backend "unknown"', 'a disk without vdev: {"pdev_path":"/x","backend":"phy"}']);
});

test('xl list -l: empty output is no domains; sxp or malformed output is a BackendError', () => {
  assert.deepEqual(parseXlListLong(''), []);
  assert.deepEqual(parseXlListLong('[\n]\n'), []);
  assert.throws(() => parseXlListLong('(domain (domid 3))'), (e: unknown) => e instanceof BackendError && /not JSON .*output_format="sxp"/.test(e.message) && e.command.join(' ') === 'xl list -l');
  assert.throws(() => parseXlListLong('{"domid": 1}'), /not a JSON array/);
  assert.throws(() => parseXlListLong('[{"domid": 1}]'), /entry 0 has no domid\/config.c_info/);
  assert.throws(() => parseXlListLong('[{"domid": 1, "config": {"c_info": {}}}]'), /entry 0 \(domid 1\) has no name/);
});

test('xl list table as xl prints it', () => {
  const out =
    'Name                                        ID   Mem VCPUs\tState\tTime(s)\n' +
    'Domain-0                                     0  2048     2     r-----    1234.5\n' +
    'web-1                                        3   512     1     -b----      12.0\n' +
    'db with space                               12  1024     4     --p---       0.3\n';
  const st = (o: Partial<XlStateFlags>): XlStateFlags => ({ running: false, blocked: false, paused: false, shutdown: null, dying: false, ...o });
  assert.deepEqual(parseXlListTable(out), [
    { name: 'Domain-0', domid: 0, memMiB: 2048, vcpus: 2, flags: 'r-----', state: st({ running: true }), cpuTimeSec: 1234.5 },
    { name: 'web-1', domid: 3, memMiB: 512, vcpus: 1, flags: '-b----', state: st({ blocked: true }), cpuTimeSec: 12 },
    { name: 'db with space', domid: 12, memMiB: 1024, vcpus: 4, flags: '--p---', state: st({ paused: true }), cpuTimeSec: 0.3 },
  ]);
  // the fifth letter is the shutdown reason from "-rscwS", or "?"; a column xl cannot print is read as unknown, not a failure
  const flags = ['---s--', '---sr-', '---ss-', '---sc-', '---sw-', '---sS-', '---s?-', '---scd', '-b--r-', 'rbpsz-'];
  const rows = parseXlListTable(out + flags.map((f, i) => `dom-${i}                                       ${20 + i}   512     1     ${f}       1.0\n`).join(''));
  assert.deepEqual(rows.slice(3).map((r) => [r.flags, r.state?.shutdown ?? (r.state ? 'none' : 'unreadable'), r.state?.dying ?? null]), [
    ['---s--', 'poweroff', false], ['---sr-', 'reboot', false], ['---ss-', 'suspend', false], ['---sc-', 'crash', false],
    ['---sw-', 'watchdog', false], ['---sS-', 'soft_reset', false], ['---s?-', 'unknown', false], ['---scd', 'crash', true],
    ['-b--r-', 'unreadable', null], ['rbpsz-', 'unreadable', null],
  ]);
  assert.throws(() => parseXlListTable(''), /cannot read the output of xl list: no header line/);
  assert.throws(() => parseXlListTable(out + 'garbage\n'), /unexpected line "garbage"/);
});
