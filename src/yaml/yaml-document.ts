import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';
import { toPointer, type YamlPath } from './yaml-path.js';
import type { TextPosition } from './text-position.js';

/** Where a diagnostic about a path points: the mapping key, the value, or the node itself. */
export type PathTarget = 'key' | 'value' | 'node';

/**
 * One parsed YAML document without syntax errors: its plain value (aliases expanded within
 * the limit) and a way to point at any path inside it by line and column.
 */
export class YamlDocument {
  constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Where the document's content begins (its first key), for Policy.source. */
  get start(): TextPosition {
    return this.pos(this.doc.contents?.range[0] ?? this.doc.range[0]);
  }

  positionOf(path: YamlPath, target: PathTarget): TextPosition {
    return this.pos(this.offsetOf(path, target));
  }

  diagnostic(path: YamlPath, target: PathTarget, message: string): Diagnostic {
    const p = this.positionOf(path, target);
    return { file: this.file, line: p.line, col: p.col, path: toPointer(path), message };
  }

  private pos(offset: number): TextPosition {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Walks the node tree along the path; stops at the deepest node that exists. */
  private offsetOf(path: YamlPath, target: PathTarget): number {
    let node: Node | null = this.doc.contents;
    let key: Node | null = null;
    let reached = true;
    for (const seg of path) {
      const coll = this.deref(node);
      if (isMap(coll)) {
        const pair = [...coll.items].reverse().find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) {
          reached = false;
          break;
        }
        key = pair.key as Node;
        node = (pair.value as Node | null) ?? null;
      } else if (isSeq(coll) && (coll.items[Number(seg)] as Node | undefined)) {
        key = null;
        node = coll.items[Number(seg)] as Node;
      } else {
        reached = false;
        break;
      }
    }
    const start = (n: Node | null | undefined) => n?.range?.[0];
    if (reached && target === 'key' && key) return start(key)!;
    if (target === 'node') {
      const n = this.deref(node);
      // a block mapping has no start token of its own: point at its key when it has one
      if (reached && key && isMap(n) && !n.flow) return start(key)!;
      return start(node) ?? start(key) ?? this.doc.range[0];
    }
    const empty = !node || !node.range || node.range[0] === node.range[1];
    if (empty && key) return start(key)!;
    return start(node) ?? start(key) ?? this.doc.range[0];
  }

  private deref(n: Node | null): Node | null {
    if (isAlias(n)) return (n.resolve(this.doc) as Node | undefined) ?? null;
    return n;
  }
}
