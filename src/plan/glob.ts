/**
 * Shell-style globs on domain names: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!x]`
 * (or `[^x]`) classes; everything else literal. The whole name must match. An unclosed `[`
 * is a literal bracket.
 */
const cache = new Map<string, RegExp>();

function escape(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        src += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      let neg = false;
      if (body[0] === '!' || body[0] === '^') {
        neg = true;
        body = body.slice(1);
      }
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        const b = body[j]!;
        if (b === '-' && j > 0 && j < body.length - 1) cls += '-';
        else cls += escape(b);
      }
      src += `[${neg ? '^' : ''}${cls}]`;
      i = close;
    } else src += escape(c);
  }
  re = new RegExp(`^${src}$`, 's');
  cache.set(glob, re);
  return re;
}

export function matchGlob(glob: string, name: string): boolean {
  return globToRegExp(glob).test(name);
}
