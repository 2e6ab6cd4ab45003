import { readFile } from 'node:fs/promises';

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or null
 * when no such process exists. Together with the PID it names one process run: a PID reused by
 * another program has another start time.
 */
export async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may contain spaces or ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // fields 3.. → index 0 is field 3, so field 22 is index 19
  } catch {
    return null;
  }
}
