/**
 * A minimal valid policy with known line numbers, and a helper to derive bad variants.
 * Line numbers (1-based): 1 apiVersion, 2 kind, 3 metadata, 4 name, 5 spec, 6 selector,
 * 7 names, 8 schedule, 9 retention, 10 keepLast.
 */
export const BASE = [
  'apiVersion: xensnap.dev/v1',
  'kind: SnapshotPolicy',
  'metadata:',
  '  name: web',
  'spec:',
  '  selector:',
  '    names: ["web-*"]',
  '  schedule: "0 * * * *"',
  '  retention:',
  '    keepLast: 3',
  '',
].join('\n');

/** BASE with one exact substring replaced (fails loudly if the substring is missing). */
export function edit(from: string, to: string, text: string = BASE): string {
  if (!text.includes(from)) throw new Error(`test bug: ${JSON.stringify(from)} not in text`);
  return text.replace(from, to);
}

/** A named policy document (for multi-document and multi-file cases). */
export function named(name: string): string {
  return edit('name: web', `name: ${name}`);
}
