/** The frozen image path of an external snapshot: `<dir>/<stem>@<snapshot><ext>`. Pure. */
export function frozenImagePath(leaf: string, snapshot: string): string {
  const slash = leaf.lastIndexOf('/');
  const dir = leaf.slice(0, slash + 1);
  const base = leaf.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  return `${dir}${stem}@${snapshot}${ext}`;
}
