import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeXenInventory } from '../../src/inventory/merge-xen-inventory.js';
import { domainFromXlCfg } from '../../src/inventory/xl-cfg-domain.js';
import type { XlListRow, XlLongDomain } from '../../src/inventory/xl-list.js';
import { parseXlStateFlags } from '../../src/inventory/xl-state-flags.js';

const U = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const long = (domid: number, name: string, uuid: string | null = U): XlLongDomain => ({ domid, name, uuid, disks: [], problems: [] });
const row = (domid: number, name: string, flags = '-b----'): XlListRow => ({ name, domid, memMiB: 512, vcpus: 1, flags, state: parseXlStateFlags(flags), cpuTimeSec: 1 });
const cfg = (file: string, text: string) => domainFromXlCfg(text, file);
const merge = (l: XlLongDomain[], r: XlListRow[], c: ReturnType<typeof cfg>[] = []) => mergeXenInventory({ long: l, rows: r, configs: c, runDir: '/run/xen' });

test('a domain in "xl list -l" but not in "xl list" (it started or stopped between the calls) is skipped', () => {
  const r = merge([long(3, 'web-1')], [], [cfg('/x/web-1.cfg', 'name = "web-1"\n')]);
  assert.deepEqual(r, {
    domains: [],
    findings: [{ kind: 'skipped', domain: { uuid: U, name: 'web-1' }, message: 'domain web-1: domid 3 is in "xl list -l" but not in "xl list"; state unknown; skipped' }],
    // skipped by name: commands that name it say why; its state folder is keyed by name (no xl.cfg uuid)
    skipped: [{ name: 'web-1', uuid: U, key: 'name-web-1', cause: 'state-unknown', reason: 'domid 3 is in "xl list -l" but not in "xl list"; state unknown', disks: [] }],
  });
});

test('a domain in "xl list" but not in "xl list -l" is skipped and its xl.cfg is not shut off', () => {
  const r = merge([], [row(0, 'Domain-0', 'r-----'), row(4, 'web-1')], [cfg('/x/web-1.cfg', 'name = "web-1"\n')]);
  assert.deepEqual(r, {
    domains: [],
    findings: [{ kind: 'skipped', domain: { uuid: null, name: 'web-1' }, message: 'domain web-1: domid 4 is in "xl list" but not in "xl list -l"; configuration unknown; skipped' }],
    skipped: [{ name: 'web-1', uuid: null, key: 'name-web-1', cause: 'state-unknown', reason: 'domid 4 is in "xl list" but not in "xl list -l"; configuration unknown' }],
  });
});

test('a running domain whose xl.cfg has errors is skipped (its uuid line cannot be trusted)', () => {
  const r = merge([long(3, 'web-1')], [row(3, 'web-1')], [cfg('/x/web-1.cfg', 'name = "web-1"\nuuid = bad\n')]);
  assert.deepEqual(r.domains, []);
  assert.deepEqual(r.findings.map((f) => f.message), [
    "domain web-1: its xl.cfg has errors (/x/web-1.cfg:2:8: expected a value (string, number or list), found name 'bad'); skipped",
    "/x/web-1.cfg:2:8: expected a value (string, number or list), found name 'bad'",
  ]);
});

test('a running domain named by two xl.cfg files is skipped', () => {
  const r = merge([long(3, 'web-1')], [row(3, 'web-1')], [cfg('/x/a.cfg', 'name = "web-1"\n'), cfg('/x/b.cfg', `name = "web-1"\nuuid = "${U}"\n`)]);
  assert.deepEqual(r.domains, []);
  assert.deepEqual(r.findings.map((f) => f.message), ['domain web-1: several xl.cfg files name it (/x/a.cfg, /x/b.cfg); skipped']);
});

test('libxl problems with a live disk skip the domain', () => {
  const r = merge([{ ...long(3, 'web-1'), problems: ['disk xvda has backend "unknown"'] }], [row(3, 'web-1')], [cfg('/x/w.cfg', `name = "web-1"\nuuid = "${U}"\n`)]);
  assert.deepEqual(r.findings.map((f) => f.message), ['domain web-1: xl list -l: disk xvda has backend "unknown"; skipped']);
});

test('a live domain without a cfg whose name is unsafe is skipped', () => {
  const r = merge([long(3, '../etc')], [row(3, '../etc')]);
  assert.deepEqual(r.findings.map((f) => f.message), ['domain ../etc: its name cannot key a state folder and no xl.cfg fixes a uuid; skipped']);
});

test('an xl.cfg whose uuid belongs to a live domain of another name is not shut off', () => {
  const r = merge([long(3, 'new-name')], [row(3, 'new-name', 'r-----')], [cfg('/x/old.cfg', `name = "old-name"\nuuid = "${U}"\n`)]);
  assert.deepEqual(r.domains.map((d) => [d.name, d.key, d.state]), [['new-name', U, 'running']]);
});

test('xl.cfg checks: missing name, bad uuid, non-list disk, non-string disk, twice the same vdev', () => {
  const c = cfg('/x/c.cfg', "memory = 1\nuuid = 'nope'\ndisk = '/a,raw,xvda'\n");
  assert.deepEqual(c.diagnostics.map((d) => `${d.line}:${d.col} ${d.path} ${d.message}`), [
    "1:1 /name no 'name' setting (xl requires one)",
    "2:8 /uuid uuid 'nope' is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    "3:8 /disk 'disk' must be a list of strings",
  ]);
  const d = cfg('/x/d.cfg', "name = 1\ndisk = [ 5, '/a,raw,xvda', '/b,raw,xvda' ]\n");
  assert.deepEqual(d.diagnostics.map((x) => `${x.line}:${x.col} ${x.path} ${x.message}`), [
    "1:8 /name 'name' must be a string",
    '2:10 /disk/0 each disk must be a string (a DISKSPEC)',
    "2:28 /disk/2 disk '/b,raw,xvda': vdev xvda is used twice",
  ]);
});

test('a syntax error on the name line is reported once, without a second "no name" diagnostic', () => {
  const c = cfg('/x/e.cfg', 'name = web\n');
  assert.deepEqual(c.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`), ["1:8 expected a value (string, number or list), found name 'web'"]);
  assert.equal(c.name, null);
});
