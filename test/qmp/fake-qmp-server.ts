import { createServer, type Server, type Socket } from 'node:net';

/**
 * A scripted QMP peer for protocol tests (framing, ids, disconnects) that a real QEMU cannot be
 * made to produce on demand. `onCommand` gets each parsed command and the socket to answer on.
 */
export async function fakeQmpServer(
  path: string,
  onCommand: (cmd: { execute: string; id: string; arguments?: Record<string, unknown> }, sock: Socket) => void,
): Promise<{ server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.setEncoding('utf8');
    sock.write('{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": []}}\r\n');
    let buf = '';
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const cmd = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (cmd.execute === 'qmp_capabilities') sock.write(`{"return": {}, "id": ${JSON.stringify(cmd.id)}}\r\n`);
        else onCommand(cmd, sock);
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
