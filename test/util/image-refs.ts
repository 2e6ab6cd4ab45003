// Test helpers: guest-like writes with qemu-io, raw reference copies and checks with qemu-img.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as img from '../../src/backends/qdisk/qemu-img.js';
import type { StepJournal } from '../../src/backends/backend.js';
import { stepLabel } from '../../src/journal/step-names.js';
import type { Disk, Domain } from '../../src/model/domain.js';
import type { DomainState } from '../../src/model/policy.js';

const exec = promisify(execFile);

/** Writes `len` bytes of `pattern` at `off` the way a guest would (through the image's chain). */
export async function writePattern(file: string, format: string, pattern: number, off: number, len: number): Promise<void> {
  const hex = `0x${pattern.toString(16).padStart(2, '0')}`;
  await exec('qemu-io', ['-f', format, '-c', `write -P ${hex} ${off} ${len}`, file]);
}

/** Keeps the guest-visible content of an image (composed with its chain, or an internal snapshot) as raw. */
export async function saveReference(file: string, format: string, out: string, snapshot?: string): Promise<void> {
  await img.convert(file, out, { format, outFormat: 'raw', snapshot });
}

/** True when both images show the same guest-visible bytes (`qemu-img compare`). */
export function sameContent(a: string, fa: string, b: string, fb: string): Promise<boolean> {
  return img.compare(a, fa, b, fb);
}

/** Throws unless `qemu-img check` finds no corruption, leak or check error (raw: nothing to check). */
export async function assertCleanImage(file: string, format: string): Promise<void> {
  const r = await img.check(file, format);
  if (r.checkErrors || r.corruptions || r.leaks) {
    throw new Error(`qemu-img check ${file}: ${r.corruptions} corruptions, ${r.leaks} leaks, ${r.checkErrors} check errors`);
  }
}

/** Creates an image: raw of `size` bytes, or qcow2 (optionally over a backing image). */
export async function makeImage(file: string, format: 'raw' | 'qcow2', size: number, backing?: { path: string; format: string }): Promise<void> {
  if (format === 'raw') {
    await exec('qemu-img', ['create', '-q', '-f', 'raw', file, String(size)]);
    return;
  }
  await img.createQcow2(file, { size: backing ? undefined : size, backing: backing?.path, backingFormat: backing?.format });
}

/** sha256 of every file in `dir` by name: "nothing changed" means equal maps. */
export async function dirState(dir: string): Promise<Record<string, string>> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { createHash } = await import('node:crypto');
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    out[name] = createHash('sha256').update(await readFile(`${dir}/${name}`)).digest('hex');
  }
  return out;
}

/** A qdisk disk of a test domain. */
export function qdisk(vdev: string, path: string, format = 'qcow2'): Disk {
  return { vdev, path, format, backend: 'qdisk', readonly: false, cdrom: false };
}

/** A test domain (shut off unless told). */
export function testDomain(disks: Disk[], state: DomainState = 'shutoff', name = 'web-1'): Domain {
  return { key: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10', uuid: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10', name, state, disks };
}

/**
 * A journal that records `intent:<label>` / `done:<label>` lines (labels as in traces and crash
 * points: `<step>[:<vdev>]`) and the intents' details; `onIntent` may throw.
 */
export class RecordingJournal implements StepJournal {
  readonly lines: string[] = [];
  readonly intents: { step: string; detail: Record<string, unknown> }[] = [];
  private readonly open: { step: string; label: string }[] = [];
  constructor(private readonly onIntent?: (step: string, index: number, label: string) => Promise<void> | void) {}
  async intent(step: string, detail: object): Promise<void> {
    const label = stepLabel(step, detail);
    await this.onIntent?.(step, this.intents.length, label);
    this.lines.push(`intent:${label}`);
    this.intents.push({ step, detail: detail as Record<string, unknown> });
    this.open.push({ step, label });
  }
  async done(step: string): Promise<void> {
    const i = this.open.map((o) => o.step).lastIndexOf(step);
    this.lines.push(`done:${i >= 0 ? this.open.splice(i, 1)[0]!.label : step}`);
  }
}
