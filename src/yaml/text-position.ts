/** A 1-based line and column, columns counted in UTF-16 code units as yaml's LineCounter does. */
export interface TextPosition {
  line: number;
  col: number;
}

/** Position of a character offset in a string, without building a line table. */
export function positionOfOffset(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}
