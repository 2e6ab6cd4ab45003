import { DEFAULT_LIMITS, type HostConfig } from '../model/host-config.js';

/** The default host config path, when neither --config nor $XENSNAP_CONFIG names one. */
export const DEFAULT_CONFIG_PATH = '/etc/xensnap/config.yaml';
/** A hook command's timeout when its profile sets none. */
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;

/** A fresh HostConfig with every default and no source (no file was read). */
export function defaultHostConfig(): HostConfig {
  return {
    stateDir: '/var/lib/xen/snapshots',
    policyDir: '/etc/xensnap/policies',
    hypervisor: 'xen',
    xen: { configDir: '/etc/xen', runDir: '/var/run/xen', libDir: '/var/lib/xen' },
    qemu: { inventory: null },
    limits: { ...DEFAULT_LIMITS },
    resyncIntervalMs: 15 * 60_000,
    listen: null,
    hooks: {},
    guestAgents: {},
    source: null,
  };
}
