import { positionOfOffset, type TextPosition } from './text-position.js';

/** The result of decoding a file: its text, or the first problem and where it is. */
export type DecodedText = { ok: true; text: string } | { ok: false; position: TextPosition; problem: string };

/**
 * Decodes strict UTF-8 and refuses binary content (any NUL byte: reported as binary even when
 * invalid UTF-8 comes first), reporting the position of the first offending byte.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  const nul = bytes.indexOf(0);
  const bad = firstInvalidUtf8(bytes);
  if (nul >= 0) {
    return {
      ok: false,
      position: positionBefore(bytes, nul),
      problem: `binary file (NUL byte at offset ${nul}); expected UTF-8 text`,
    };
  }
  if (bad >= 0) {
    const hex = bytes[bad]!.toString(16).padStart(2, '0');
    return {
      ok: false,
      position: positionBefore(bytes, bad),
      problem: `invalid UTF-8 (byte 0x${hex} at offset ${bad})`,
    };
  }
  return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

function positionBefore(bytes: Uint8Array, offset: number): TextPosition {
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
  return positionOfOffset(prefix, prefix.length);
}

/** Offset of the first byte that starts an invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n + 1;
  }
  return -1;
}
