import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXlCfg } from '../../../src/formats/xlcfg/parse-xl-cfg.js';
import { parseDisk } from '../../../src/formats/xlcfg/parse-disk-spec.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/xen');

test("Xen's example xl.cfg (xlexample.hvm) parses, comments and commented-out uuid included", () => {
  const file = `${FIXTURES}/xlexample.hvm`;
  const r = parseXlCfg(readFileSync(file, 'utf8'), file);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(Object.keys(r.values), ['name', 'memory', 'vcpus', 'vif', 'disk', 'sdl']);
  assert.deepEqual(r.values.name, { kind: 'string', value: 'example.hvm', line: 2, col: 8 });
  assert.equal(r.values.uuid, undefined, 'the uuid line is a comment: xl makes a new UUID at every start');
  assert.deepEqual(r.values.memory, { kind: 'number', value: 128, text: '128', line: 5, col: 10 });
  assert.deepEqual(r.values.vif, { kind: 'list', line: 8, col: 7, items: [{ kind: 'string', value: '', line: 8, col: 9 }] });
  const disk = r.values.disk!;
  assert.equal(disk.kind, 'list');
  const spec = disk.kind === 'list' && disk.items[0]!.kind === 'string' ? disk.items[0]!.value : '';
  assert.equal(spec, '/dev/vg/guest-volume,raw,xvda,rw');
  assert.deepEqual(parseDisk(spec, { isBlockDevice: () => true }), {
    ok: true,
    value: { vdev: 'xvda', path: '/dev/vg/guest-volume', format: 'raw', backend: 'phy', readonly: false, cdrom: false },
  });
});
