import type { SourceLocation } from './policy.js';

/** A hook profile: argv arrays only, never shell strings. */
export interface HookProfile {
  pre: string[];
  post: string[];
  timeoutMs: number;
}

export interface Limits {
  maxDeletes: number;
  concurrency: number;
  minFreePercent: number;
  minFreeBytes: number;
  maxChainDepth: number;
}

/** The validated host config with every default filled in. */
export interface HostConfig {
  stateDir: string;
  policyDir: string;
  hypervisor: 'xen' | 'qemu';
  /** `libDir`: libxl's XEN_LIB_DIR (its lock files); builds differ, default /var/lib/xen. */
  xen: { configDir: string; runDir: string; libDir: string };
  qemu: { inventory: string | null };
  limits: Limits;
  resyncIntervalMs: number;
  listen: string | null;
  hooks: Record<string, HookProfile>;
  guestAgents: Record<string, string>;
  /** The file it was read from (null when defaults only). */
  source: SourceLocation | null;
}

export const DEFAULT_LIMITS: Limits = {
  maxDeletes: 50,
  concurrency: 2,
  minFreePercent: 10,
  minFreeBytes: 0,
  maxChainDepth: 30,
};
