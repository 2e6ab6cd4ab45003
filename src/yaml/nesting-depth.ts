import type { CST } from 'yaml';

/**
 * Finds the first collection nested deeper than `maxDepth` in a CST, iteratively, before the
 * composer (which recurses, and can exhaust the stack or memory on a deep file) sees it.
 * Returns its source offset, or null when the nesting is within the limit.
 */
export function findExcessiveNesting(tokens: CST.Token[], maxDepth: number): number | null {
  const stack: Array<[CST.Token, number]> = tokens.map((t) => [t, 0]);
  while (stack.length) {
    const [tok, depth] = stack.pop()!;
    const push = (t: CST.Token | null | undefined, d: number) => {
      if (t) stack.push([t, d]);
    };
    switch (tok.type) {
      case 'document':
        push(tok.value, depth);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth + 1 > maxDepth) return tok.offset;
        for (const item of tok.items as CST.CollectionItem[]) {
          push(item.key, depth + 1);
          push(item.value, depth + 1);
        }
        break;
      default:
        break;
    }
  }
  return null;
}
