import { dirname, resolve } from 'node:path';
import type { HookProfile, HostConfig, Limits } from '../model/host-config.js';
import { parseDuration } from '../policy/duration.js';
import { DEFAULT_HOOK_TIMEOUT_MS, defaultHostConfig } from './default-host-config.js';

interface RawHostConfig {
  stateDir?: string;
  policyDir?: string;
  hypervisor?: 'xen' | 'qemu';
  xen?: { configDir?: string; runDir?: string; libDir?: string };
  qemu?: { inventory?: string };
  limits?: Partial<Limits>;
  resyncInterval?: string;
  listen?: string;
  hooks?: Record<string, { pre?: string[]; post?: string[]; timeout?: string }>;
  guestAgents?: Record<string, string>;
}

/**
 * Fills defaults into a host config that passed the schema and every rule. Relative paths
 * (directories, files, hook programs) resolve against the config file's directory.
 */
export function normaliseHostConfig(value: unknown, file: string): HostConfig {
  const raw = (value ?? {}) as RawHostConfig;
  const base = dirname(resolve(file));
  const abs = (p: string) => resolve(base, p);
  const argv = (a: string[] | undefined) => (a && a.length ? [abs(a[0]!), ...a.slice(1)] : []);
  const d = defaultHostConfig();
  const hooks: Record<string, HookProfile> = {};
  for (const [name, h] of Object.entries(raw.hooks ?? {})) {
    hooks[name] = {
      pre: argv(h.pre),
      post: argv(h.post),
      timeoutMs: h.timeout ? parseDuration(h.timeout)! : DEFAULT_HOOK_TIMEOUT_MS,
    };
  }
  const guestAgents: Record<string, string> = {};
  for (const [dom, sock] of Object.entries(raw.guestAgents ?? {})) guestAgents[dom] = abs(sock);
  return {
    stateDir: raw.stateDir ? abs(raw.stateDir) : d.stateDir,
    policyDir: raw.policyDir ? abs(raw.policyDir) : d.policyDir,
    hypervisor: raw.hypervisor ?? d.hypervisor,
    xen: {
      configDir: raw.xen?.configDir ? abs(raw.xen.configDir) : d.xen.configDir,
      runDir: raw.xen?.runDir ? abs(raw.xen.runDir) : d.xen.runDir,
      libDir: raw.xen?.libDir ? abs(raw.xen.libDir) : d.xen.libDir,
    },
    qemu: { inventory: raw.qemu?.inventory ? abs(raw.qemu.inventory) : null },
    limits: { ...d.limits, ...raw.limits },
    resyncIntervalMs: raw.resyncInterval ? parseDuration(raw.resyncInterval)! : d.resyncIntervalMs,
    listen: raw.listen ?? null,
    hooks,
    guestAgents,
    source: { file, line: 1, col: 1 },
  };
}
