import { QmpClient } from '../../qmp/qmp-client.js';
import type { LiveProbe } from '../../inventory/live-probe.js';

/** Errors that prove nobody serves the socket: the domain is shut off. */
const NOBODY_THERE = /ENOENT|ECONNREFUSED/;

/**
 * A LiveProbe over real QMP. No socket file, or a refused connection, means shut off. Any other
 * failure (a QEMU that hangs before its greeting, a permission problem) rejects: the state is
 * unknown, and an unknown domain must never be treated as shut off — that would let qemu-img
 * write under a running guest.
 */
export function qmpLiveProbe(timeoutMs = 3000): LiveProbe {
  return {
    async status(socketPath) {
      let client: QmpClient;
      try {
        client = await QmpClient.connect(socketPath, { timeoutMs });
      } catch (err) {
        if (NOBODY_THERE.test((err as Error).message)) return null;
        throw err;
      }
      try {
        const st = await client.execute<{ status: string; running: boolean }>('query-status', {}, { timeoutMs });
        return st.status === 'running' ? 'running' : 'paused';
      } finally {
        client.close();
      }
    },
  };
}
