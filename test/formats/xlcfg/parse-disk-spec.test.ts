import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDisk, parseDiskSpec } from '../../../src/formats/xlcfg/parse-disk-spec.js';
import type { Disk } from '../../../src/model/domain.js';

type D = Omit<Disk, 'node'>;
const disk = (vdev: string, path: string, format: string, backend: Disk['backend'], readonly = false, cdrom = false): D => ({ vdev, path, format, backend, readonly, cdrom });

// The man page's equivalence classes first, then every other form it documents.
const ok: [string, D][] = [
  ['/dev/vg/guest-volume,,hda', disk('hda', '/dev/vg/guest-volume', 'raw', 'phy')],
  ['/dev/vg/guest-volume,raw,hda,rw', disk('hda', '/dev/vg/guest-volume', 'raw', 'phy')],
  ['format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume', disk('hda', '/dev/vg/guest-volume', 'raw', 'phy')],
  ['raw:/dev/vg/guest-volume,hda,w', disk('hda', '/dev/vg/guest-volume', 'raw', 'phy')],
  ['/root/image.iso,,hdc,cdrom', disk('hdc', '/root/image.iso', 'raw', 'qdisk', true, true)],
  ['/root/image.iso,,hdc,,cdrom', disk('hdc', '/root/image.iso', 'raw', 'qdisk', true, true)],
  ['/root/image.iso,raw,hdc,devtype=cdrom', disk('hdc', '/root/image.iso', 'raw', 'qdisk', true, true)],
  ['format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso', disk('hdc', '/root/image.iso', 'raw', 'qdisk', true, true)],
  ['raw:/root/image.iso,hdc:cdrom,ro', disk('hdc', '/root/image.iso', 'raw', 'qdisk', true, true)],
  // empty CD-ROM drives
  [',hdc:cdrom,r', disk('hdc', '', 'empty', 'qdisk', true, true)],
  ['vdev=hdc, devtype=cdrom', disk('hdc', '', 'empty', 'qdisk', true, true)],
  [',,hdc,,cdrom', disk('hdc', '', 'empty', 'qdisk', true, true)],
  ['vdev=hdd, cdrom, access=rw, target=', disk('hdd', '', 'empty', 'qdisk', false, true)],
  // formats and the backend libxl picks for them
  ['/srv/web-1.qcow2,qcow2,xvda,rw', disk('xvda', '/srv/web-1.qcow2', 'qcow2', 'qdisk')],
  ['/srv/old.qcow,qcow,xvda', disk('xvda', '/srv/old.qcow', 'qcow', 'qdisk')],
  ['/srv/a.qed,qed,xvdb', disk('xvdb', '/srv/a.qed', 'qed', 'qdisk')],
  ['/srv/legacy.vhd,vhd,xvda,w', disk('xvda', '/srv/legacy.vhd', 'vhd', 'qdisk')],
  ['/srv/plain.img,,xvda', disk('xvda', '/srv/plain.img', 'raw', 'qdisk')],
  ['/var/lib/xen/images/test-pv.img,raw,xvda,rw', disk('xvda', '/var/lib/xen/images/test-pv.img', 'raw', 'qdisk')],
  // explicit backendtype
  ['format=vhd, vdev=xvda, access=rw, backendtype=tap, target=/srv/l.vhd', disk('xvda', '/srv/l.vhd', 'vhd', 'tap')],
  ['/srv/l.img,raw,xvda,rw,backendtype=tap', disk('xvda', '/srv/l.img', 'raw', 'tap')],
  ['backendtype=qdisk,/dev/vg/x,raw,xvdb', disk('xvdb', '/dev/vg/x', 'raw', 'qdisk')],
  ['/srv/f.img,raw,xvdc,backendtype=phy', disk('xvdc', '/srv/f.img', 'raw', 'phy')],
  ['/srv/s.qcow2,qcow2,xvdd,backendtype=standalone', disk('xvdd', '/srv/s.qcow2', 'qcow2', 'standalone')],
  ['/srv/d.img,,xvda,backendtype=', disk('xvda', '/srv/d.img', 'raw', 'qdisk')],
  // access modes
  ['/srv/a.qcow2,qcow2,xvda,ro', disk('xvda', '/srv/a.qcow2', 'qcow2', 'qdisk', true)],
  ['/srv/a.qcow2,qcow2,xvda,r', disk('xvda', '/srv/a.qcow2', 'qcow2', 'qdisk', true)],
  ['/srv/a.qcow2,qcow2,xvda,w', disk('xvda', '/srv/a.qcow2', 'qcow2', 'qdisk')],
  ['/srv/a.qcow2,qcow2,xvda,', disk('xvda', '/srv/a.qcow2', 'qcow2', 'qdisk')],
  // target= takes the rest, commas and trailing blanks included
  ['vdev=xvda, format=qcow2, target=/srv/odd,name with spaces.qcow2  ', disk('xvda', '/srv/odd,name with spaces.qcow2  ', 'qcow2', 'qdisk')],
  ['vdev=xvda, target=/srv/raw:colon,file.img', disk('xvda', '/srv/raw:colon,file.img', 'raw', 'qdisk')],
  ['vdev=xvda, target=raw:x', disk('xvda', '/dev/raw:x', 'raw', 'phy')],
  [',,xvda,rw,target=/srv/late.img', disk('xvda', '/srv/late.img', 'raw', 'qdisk')],
  // deprecated prefixes: format prefixes set the format, the others are stripped and ignored
  ['qcow2:/srv/p.qcow2,xvda,w', disk('xvda', '/srv/p.qcow2', 'qcow2', 'qdisk')],
  ['vhd:/srv/p.vhd,xvda,w', disk('xvda', '/srv/p.vhd', 'vhd', 'qdisk')],
  ['tap:aio:/srv/t.img,xvda,w', disk('xvda', '/srv/t.img', 'raw', 'qdisk')],
  ['tap:qcow2:/srv/t.qcow2,xvda,w', disk('xvda', '/srv/t.qcow2', 'qcow2', 'qdisk')],
  ['tap2:vhd:/srv/t.vhd,xvda,r', disk('xvda', '/srv/t.vhd', 'vhd', 'qdisk', true)],
  ['phy:/dev/sdb,xvdb,w', disk('xvdb', '/dev/sdb', 'raw', 'phy')],
  ['file:/srv/f.img,hda,w', disk('hda', '/srv/f.img', 'raw', 'qdisk')],
  ['iscsi:iqn.2001-05.com.example:disk1,xvda,w', disk('xvda', 'iqn.2001-05.com.example:disk1', 'raw', 'phy')],
  ['script=block-drbd, vdev=xvdb, target=r0', disk('xvdb', 'r0', 'raw', 'phy')],
  // a target that is not a path gets /dev/ prepended
  ['sdb1,,xvda', disk('xvda', '/dev/sdb1', 'raw', 'phy')],
  ['mapper/vg-web,raw,xvda,rw', disk('xvda', '/dev/mapper/vg-web', 'raw', 'phy')],
  // vdev forms of xen-vbd-interface(7), flags and other settings
  ['/srv/a.img,,xvda1', disk('xvda1', '/srv/a.img', 'raw', 'qdisk')],
  ['/srv/a.img,,xvdaa', disk('xvdaa', '/srv/a.img', 'raw', 'qdisk')],
  ['/srv/a.img,,sda', disk('sda', '/srv/a.img', 'raw', 'qdisk')],
  ['/srv/a.img,,d0p1', disk('d0p1', '/srv/a.img', 'raw', 'qdisk')],
  ['/srv/a.img,,51712', disk('51712', '/srv/a.img', 'raw', 'qdisk')],
  ['  /srv/a.img,  raw,  xvda, direct-io-safe, discard, no-discard, backend=driver-dom', disk('xvda', '/srv/a.img', 'raw', 'qdisk')],
  ['/srv/a.img,raw,xvda,colo,colo-host=10.0.0.2,colo-port=9000,colo-export=e,active-disk=/a,hidden-disk=/h', disk('xvda', '/srv/a.img', 'raw', 'qdisk')],
];
for (const [spec, expected] of ok) {
  test(`disk spec ${JSON.stringify(spec)}`, () => {
    const r = parseDisk(spec, { isBlockDevice: (p) => p.startsWith('/dev/') });
    assert.deepEqual(r, { ok: true, value: expected });
  });
}

test('the block-device probe decides phy vs qdisk for raw targets only', () => {
  const probe = { isBlockDevice: (p: string) => p === '/srv/lun0' };
  assert.equal((parseDisk('/srv/lun0,raw,xvda', probe) as { value: Disk }).value.backend, 'phy');
  assert.equal((parseDisk('/dev/looks-like-a-device,raw,xvda', probe) as { value: Disk }).value.backend, 'qdisk');
  assert.equal((parseDisk('/srv/lun0,qcow2,xvda', probe) as { value: Disk }).value.backend, 'qdisk');
});

test('parseDiskSpec keeps what was written: prefixes, script, backend domain, other flags', () => {
  assert.deepEqual(parseDiskSpec('tap:aio:/srv/t.img,xvda,w,discard,backend=dd,colo-port=1'), {
    ok: true,
    value: { target: '/srv/t.img', format: null, vdev: 'xvda', access: 'rw', cdrom: false, backendtype: null, backendDomain: 'dd', script: null, prefixes: ['tap', 'aio'], other: ['discard', 'colo-port=1'] },
  });
  assert.deepEqual(parseDiskSpec('nbd:host:1234,xvdb,r'), {
    ok: true,
    value: { target: 'host:1234', format: null, vdev: 'xvdb', access: 'ro', cdrom: false, backendtype: null, backendDomain: null, script: 'block-nbd', prefixes: ['nbd'], other: [] },
  });
});

const bad: [string, string][] = [
  ['/srv/a.img,raw', 'no vdev given (vdev is mandatory)'],
  ['', 'no vdev given (vdev is mandatory)'],
  ['vdev=xvda', 'no target given (only a cdrom drive may be empty)'],
  [',,xvda', 'no target given (only a cdrom drive may be empty)'],
  ['/srv/a.img,vmdk,xvda', "unknown format 'vmdk' (raw, qcow, qcow2, vhd or qed)"],
  ['/srv/a.img,raw,xvda,rx', "unknown access 'rx' (ro, r, rw or w)"],
  ['/srv/a.img,raw,xvda,rw,extra', "too many positional parameters at 'extra'"],
  ['/srv/a.img,raw,xvda,format=qcow2', 'format specified more than once'],
  ['vdev=xvda,vdev=xvdb,target=/a', 'vdev specified more than once'],
  ['/srv/a.img,raw,xvda,target=/srv/b.img', 'target specified more than once'],
  ['/srv/a.img,raw,xvda,foo=bar', "unknown parameter 'foo='"],
  ['/srv/a.img,raw,xvda,devtype=floppy', "unknown devtype 'floppy' (only cdrom is supported)"],
  ['/srv/a.img,raw,xvda,backendtype=blktap2', "unknown backendtype 'blktap2' (phy, tap, qdisk or standalone)"],
  ['/srv/a.img,raw,hdc:floppy', "unknown device type 'floppy' in 'hdc:floppy' (cdrom or disk)"],
  ['/srv/a.img,raw,vda', "unrecognised vdev 'vda' (expected a form like xvda, hda, sda, xvda1 or d0p1)"],
  ['format=raw,vdev=xvda ,target=/a', "unrecognised vdev 'xvda ' (expected a form like xvda, hda, sda, xvda1 or d0p1)"],
  ['/srv/a.qcow2,qcow2,xvda,backendtype=phy', 'backendtype=phy supports only format raw, not qcow2'],
  ['/srv/a.qcow2,qcow2,xvda,backendtype=tap', 'backendtype=tap supports only formats vhd and raw, not qcow2'],
  ['target-name,raw,xvda,script=block-x,backendtype=qdisk', 'backendtype=qdisk cannot use script='],
  ['vdev=xvda,format=qcow2,script=block-iscsi,target=x', 'script= needs format raw, not qcow2'],
  ['raw:qcow2:/srv/a,xvda', 'format specified more than once'],
];
for (const [spec, error] of bad) {
  test(`bad disk spec ${JSON.stringify(spec)}`, () => assert.deepEqual(parseDisk(spec), { ok: false, error }));
}

test('never throws on arbitrary specs (seeded)', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
  const parts = ['/srv/a.img', 'raw', 'qcow2', 'vhd', 'xvda', 'hdc:cdrom', 'cdrom', 'ro', 'w', 'target=', 'format=', 'vdev=', 'tap:', 'aio:', 'raw:', 'nbd:', 'backendtype=tap', 'script=x', '', ' ', ':', '=', ','];
  for (let n = 0; n < 3000; n++) {
    let s = '';
    const len = rnd() % 8;
    for (let i = 0; i < len; i++) s += parts[rnd() % parts.length] + (rnd() % 3 ? ',' : '');
    const r = parseDisk(s);
    if (r.ok) {
      assert.ok(r.value.vdev !== '' && (r.value.path !== '' || r.value.cdrom), JSON.stringify({ s, r }));
    } else {
      assert.equal(typeof r.error, 'string');
    }
  }
});
