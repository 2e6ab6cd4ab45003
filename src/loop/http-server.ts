import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { UserInputError } from '../errors.js';

/** What the HTTP endpoint serves; `health` is asked at request time. */
export interface HttpEndpoints {
  registry: Registry;
  health(): { ok: boolean; reason: string };
}

/** `host:port`, `[v6]:port`; port 0 picks a free one (tests). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UserInputError(`listen "${listen}": expected HOST:PORT`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Serves GET /metrics (Prometheus text) and /healthz (200 ok / 503 with the reason). */
export async function startHttpServer(listen: string, ep: HttpEndpoints): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      ep.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': ep.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    } else if (path === '/healthz') {
      const h = ep.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(`${h.ok ? 'ok' : 'unhealthy'}: ${h.reason}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new UserInputError(`listen ${listen}: ${err.code ?? err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
