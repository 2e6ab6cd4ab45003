/**
 * Asks a domain's QMP socket for its run state. `status` resolves to 'running' or 'paused' when
 * the socket answers (`query-status`: 'running' → running; every other status — 'paused',
 * 'prelaunch', 'inmigrate', 'postmigrate', 'suspended', ... — means the guest is not executing,
 * so paused), and to null when nothing answers (no socket, refused, timed out): shut off.
 * Implemented over the real QMP client elsewhere; tests pass a fake.
 */
export interface LiveProbe {
  status(socketPath: string): Promise<'running' | 'paused' | null>;
}
