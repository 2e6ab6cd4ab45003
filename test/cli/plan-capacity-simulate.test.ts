import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseDiskGrowth } from '../../src/cli/commands/simulate.js';

function capture() {
  let out = '';
  return { stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = capture();
  const e = capture();
  const code = await main(['simulate', ...args], { stdout: o.stream, stderr: e.stream, env: {} });
  return { code, out: o.text(), err: e.text() };
}

const DOC = `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: h
spec:
  selector:
    names: ["web-*"]
  schedule: "0 * * * *"
  timezone: UTC
  mode: disk-only
  type: external
  retention:
    keepLast: 3
`;

test('parseDiskGrowth: bytes per hour; IEC names (and bare K, M, G, T) are powers of 1024, SI names powers of 1000', () => {
  assert.deepEqual(
    ['1000/h', '50M/h', '50MiB/h', '50MB/h', '2G/h', '1.5GiB/h', '2GB/h', '512KB/h', '512kB/h', '512KiB/h', '3 T/h', '1TB/h', '7B/h'].map(parseDiskGrowth),
    [1000, 50 * 1024 ** 2, 50 * 1024 ** 2, 50_000_000, 2 * 1024 ** 3, 1.5 * 1024 ** 3, 2_000_000_000, 512_000, 512_000, 512 * 1024, 3 * 1024 ** 4, 10 ** 12, 7],
  );
  for (const bad of ['50M', '-1M/h', 'M/h', '5X/h', '5M/d', '5MiBs/h']) {
    assert.throws(() => parseDiskGrowth(bad), { message: `simulate: --disk-growth ${bad} is not a rate like 50MiB/h or 2G/h (bytes per hour; K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024, kB, MB, GB, TB powers of 1000)` });
  }
});

test('xensnap simulate --disk-growth: peak count and space in JSON and text', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-simcap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'h.yaml');
  await writeFile(file, DOC);
  const span = ['--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T10:00:00Z'];
  const j = await cli(['--policy', file, ...span, '--disk-growth', '2G/h', '--json']);
  assert.deepEqual([j.code, j.err], [0, '']);
  const data = JSON.parse(j.out);
  assert.deepEqual([data.peakSnapshots, data.peakSnapshotsAt, data.diskGrowthBytesPerHour, data.peakHeldBytes, data.peakHeldAt], [3, '2026-01-01T02:00:00Z', 2 * 1024 ** 3, 6 * 1024 ** 3, '2026-01-01T03:00:00Z']);
  const text = await cli(['--policy', file, ...span, '--disk-growth=50M/h']);
  assert.equal(text.code, 0);
  assert.ok(text.out.includes('  peak: 3 snapshots (first at 2026-01-01T02:00:00Z)\n  space held at its peak: ~150.0 MiB (at 2026-01-01T03:00:00Z), at 50.0 MiB/h of new data\n'), text.out);
  const bad = await cli(['--policy', file, ...span, '--disk-growth', 'lots']);
  assert.deepEqual([bad.code, bad.err], [1, 'simulate: --disk-growth lots is not a rate like 50MiB/h or 2G/h (bytes per hour; K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024, kB, MB, GB, TB powers of 1000)\n']);
});
