import type { Diagnostic } from '../../model/diagnostic.js';
import type { ConfigDocContext } from './config-context.js';

/** listen's port must be 1-65535 (the schema checked the host:port shape). */
export function checkListen(ctx: ConfigDocContext): Diagnostic[] {
  const v = ctx.value.listen;
  if (typeof v !== 'string') return [];
  const m = /:(\d{1,5})$/.exec(v);
  if (!m) return [];
  const port = Number(m[1]);
  if (port >= 1 && port <= 65535) return [];
  return [ctx.doc.diagnostic(['listen'], 'value', `listen port ${port} is out of range (1 to 65535)`)];
}
