/** One problem in user input. Always has a file and a 1-based line and column. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** JSON-pointer-like path inside the document, e.g. `/spec/retention/keepLast`, or ''. */
  path: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

/** Sorts by file, line, column, then message, so output is stable. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.col - b.col ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}
