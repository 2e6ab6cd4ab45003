// The offline qdisk delete of a chain's root snapshot rebases its child and unlinks it (later
// deletes commit instead), so the matrix never reaches those steps: each gets a fresh domain.
import { test } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xenWorld } from './crash-world.js';
import { crashFirstDelete } from './crash-matrix.js';

for (const point of ['qdisk-offline.external-rebase:xvda#1', 'qdisk-offline.external-unlink:xvda#1', 'qdisk-offline.external-rebase:xvdb#1', 'qdisk-offline.external-unlink:xvdb#1']) {
  test(`offline qdisk external first delete killed at ${point}`, async (t) => {
    const w = await xenWorld(await mkdtemp(join(tmpdir(), 'xensnap-crash-fd-')));
    t.after(() => w.close());
    await crashFirstDelete(w, w.domains[0]!, 'external', point);
  });
}
