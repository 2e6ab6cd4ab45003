import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../../errors.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { migrateToFileUri } from '../qemu-exec-uri.js';

interface MigrateInfo {
  status?: string;
  'error-desc'?: string;
  ram?: { total?: number; transferred?: number };
}

/**
 * Writes the (stopped) VM's memory and device state to `file` through `migrate` and waits until
 * `query-migrate` says `completed`. The file is opened first (mode 0600 when new) so the `cat` QEMU
 * runs only truncates it (a shell redirection would use QEMU's umask). `failed`/`cancelled`, or no
 * completion within `timeoutMs`, throw a BackendError carrying QEMU's error description.
 */
export async function migrateToFile(client: QmpClient, file: string, timeoutMs = 600_000): Promise<void> {
  const uri = migrateToFileUri(file);
  const fh = await open(file, 'w', 0o600);
  await fh.close();
  await client.execute('migrate', { uri });
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    const info = await client.execute<MigrateInfo>('query-migrate');
    if (info.status === 'completed') return;
    if (info.status === 'failed' || info.status === 'cancelled') {
      const why = info['error-desc'] ?? info.status;
      throw new BackendError(`saving the memory of the VM to ${file} failed: ${why}`, { command: ['qmp', 'migrate', uri], stderr: why });
    }
    if (Date.now() > deadline) {
      await client.execute('migrate_cancel').catch(() => {});
      throw new BackendError(`saving the memory of the VM to ${file} did not finish within ${timeoutMs} ms (status ${info.status ?? 'none'})`, {
        command: ['qmp', 'migrate', uri],
      });
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
}
