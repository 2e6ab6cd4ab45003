import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXlCfg, type XlValue } from '../../../src/formats/xlcfg/parse-xl-cfg.js';

/** Strips positions so tables can state values compactly: strings, numbers, nested arrays. */
function plain(v: XlValue): unknown {
  return v.kind === 'list' ? v.items.map(plain) : v.value;
}
function values(text: string): Record<string, unknown> {
  const r = parseXlCfg(text, 'dom.cfg');
  assert.deepEqual(r.diagnostics, [], `unexpected diagnostics for ${JSON.stringify(text)}`);
  return Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, plain(v)]));
}
function errors(text: string): string[] {
  return parseXlCfg(text, 'dom.cfg').diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
}

const valid: [string, string, Record<string, unknown>][] = [
  ['double-quoted string', 'name = "web-1"\n', { name: 'web-1' }],
  ['single-quoted string', "name = 'web-1'\n", { name: 'web-1' }],
  ['no spaces around =', 'name="a"\n', { name: 'a' }],
  ['other quote inside', `a = "it's"\nb = 'say "hi"'\n`, { a: "it's", b: 'say "hi"' }],
  ['escaped quotes', `a = "x\\"y"\nb = 'x\\'y'\n`, { a: 'x"y', b: "x'y" }],
  ['C escapes', 'a = "t\\tn\\nr\\rb\\\\"\n', { a: 't\tn\nr\rb\\' }],
  ['bell, backspace, formfeed, vtab', 'a = "\\a\\b\\f\\v"\n', { a: '\x07\b\f\v' }],
  ['hex and octal escapes', 'a = "\\x41\\102\\7"\n', { a: 'AB\x07' }],
  ['empty strings', `a = ""\nb = ''\n`, { a: '', b: '' }],
  ['# inside a string is not a comment', 'a = "x # y" # real comment\n', { a: 'x # y' }],
  ['decimal, hex, octal, fraction', 'a = 512\nb = 0x1F\nc = 017\nd = 0\ne = 1.5\n', { a: 512, b: 31, c: 15, d: 0, e: 1.5 }],
  ['list on one line', "vif = [ 'bridge=br0', 'mac=00:16:3e:00:00:01' ]\n", { vif: ['bridge=br0', 'mac=00:16:3e:00:00:01'] }],
  ['multi-line list, trailing comma, comments inside', "disk = [\n  'a', # first\n  # nothing\n\n  \"b\",\n]\n", { disk: ['a', 'b'] }],
  ['empty list', 'a = []\nb = [\n]\n', { a: [], b: [] }],
  ['nested heterogeneous list', 'cpus = [ [0, 1], "2-3", 4 ]\n', { cpus: [[0, 1], '2-3', 4] }],
  ['; separates settings', 'name="h0"; type="hvm" ;memory=128\n', { name: 'h0', type: 'hvm', memory: 128 }],
  ['stray ; and blank lines', ';\n\n;;\nname = "x"\n\n', { name: 'x' }],
  ['no final newline', 'name = "x"', { name: 'x' }],
  ['CRLF line ends', 'name = "x"\r\nmemory = 64\r\n', { name: 'x', memory: 64 }],
  ['later assignment wins', 'memory = 64\nmemory = 128\n', { memory: 128 }],
  ['+= appends to lists and strings', "disk = ['a']\ndisk += ['b']\nextra = 'x'\nextra += ' y'\nnew += [1]\n", { disk: ['a', 'b'], extra: 'x y', new: [1] }],
  ['dotted and underscored keys', 'device_model_version = "qemu-xen"\nx.y = 1\n', { device_model_version: 'qemu-xen', 'x.y': 1 }],
  ['comment-only file', '# nothing here\n   # indented\n', {}],
];
for (const [what, text, expected] of valid) {
  test(`xl.cfg parses: ${what}`, () => assert.deepEqual(values(text), expected));
}

const invalid: [string, string, string[]][] = [
  ['unterminated string', 'name = "web-1\nmemory = 1\n', ['dom.cfg:1:8: unterminated string']],
  ['string cannot span lines', "a = 'x\ny'\n", ["dom.cfg:1:5: unterminated string", "dom.cfg:2:2: unterminated string"]],
  ['unknown escape', 'a = "x\\qy"\n', ["dom.cfg:1:7: invalid escape '\\q' in quoted string"]],
  ['short hex escape', 'a = "\\x4"\n', ['dom.cfg:1:6: invalid \\x escape in quoted string (needs two hex digits)']],
  ['NUL escape', "b = 1\na = 'x\\0'\n", ['dom.cfg:2:7: null character in quoted string']],
  ['malformed number', 'memory = 12ab\n', ["dom.cfg:1:10: malformed number '12ab'"]],
  ['bad octal', 'memory = 09\n', ["dom.cfg:1:10: malformed number '09'"]],
  ['missing value', 'memory =\nname = "x"\n', ['dom.cfg:1:9: expected a value (string, number or list), found end of line']],
  ['missing =', 'memory 128\n', ["dom.cfg:1:8: expected '=' after 'memory', found number 128"]],
  ['bare word value', 'type = hvm\n', ["dom.cfg:1:8: expected a value (string, number or list), found name 'hvm'"]],
  ['two values', "a = 'x' 'y'\n", ["dom.cfg:1:9: expected end of line or ';' after the value of 'a', found string 'y'"]],
  ['statement starting with a value', "'x' = 1\n", ["dom.cfg:1:1: expected a setting name (KEY = VALUE), found string 'x'"]],
  ['unexpected character', 'a = 1\n@b = 2\n', ["dom.cfg:2:1: unexpected character '@'"]],
  ['negative numbers are not xl syntax', 'a = -1\n', ["dom.cfg:1:5: unexpected character '-'"]],
  ['missing comma in list', "disk = [ 'a'\n 'b' ]\n", ["dom.cfg:2:2: expected ',' or ']' in list, found string 'b'"]],
  ['double comma in list', 'a = [1,,2]\n', ["dom.cfg:1:8: expected a value (string, number or list), found ','"]],
  ['unclosed list at end of file', "disk = [ 'a',\n  'b'\n", ['dom.cfg:3:1: list opened at line 1 col 8 is never closed']],
  ['+= on mismatched kinds', "a = 'x'\na += [1]\n", ["dom.cfg:2:1: '+=' needs a list or a string on both sides for 'a'"]],
];
for (const [what, text, expected] of invalid) {
  test(`xl.cfg error: ${what}`, () => assert.deepEqual(errors(text), expected));
}

test('errors are collected across the file and parsing resumes at the next setting', () => {
  const text = "name = 'ok'\ndisk = [ 'a',\n  oops,\n  'c',\n]\nmemory = 12x\nvcpus = 2\nbad = \"\\z\"\nuuid = 'u'\n";
  const r = parseXlCfg(text, '/etc/xen/web.cfg');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
    [
      "3:3 expected a value (string, number or list), found name 'oops'",
      "6:10 malformed number '12x'",
      "8:8 invalid escape '\\z' in quoted string",
    ],
  );
  assert.ok(r.diagnostics.every((d) => d.file === '/etc/xen/web.cfg'));
  // Settings before, between and after the errors survive; broken ones are absent.
  assert.deepEqual(Object.keys(r.values).sort(), ['name', 'uuid', 'vcpus']);
});

test('values and keys carry their positions', () => {
  const r = parseXlCfg("name = 'x'\n  disk = [\n    'a' ,\n  7 ]\n", 'f');
  assert.deepEqual(r.keys.disk, { line: 2, col: 3 });
  assert.deepEqual(r.values.name, { kind: 'string', value: 'x', line: 1, col: 8 });
  assert.deepEqual(r.values.disk, {
    kind: 'list',
    line: 2,
    col: 10,
    items: [
      { kind: 'string', value: 'a', line: 3, col: 5 },
      { kind: 'number', value: 7, text: '7', line: 4, col: 3 },
    ],
  });
});

test('a key named __proto__ is an ordinary setting', () => {
  const r = parseXlCfg('__proto__ = 1\n', 'f');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(Object.keys(r.values).length, 1);
  assert.deepEqual(plain(r.values['__proto__']!), 1);
});

test('never throws on arbitrary bytes', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
  const alphabet = 'ab =[],;#\'"\\\n0x19.+-@\t';
  for (let n = 0; n < 2000; n++) {
    let s = '';
    const len = rnd() % 60;
    for (let i = 0; i < len; i++) s += alphabet[rnd() % alphabet.length];
    const r = parseXlCfg(s, 'fuzz.cfg');
    for (const d of r.diagnostics) assert.ok(d.line >= 1 && d.col >= 1, JSON.stringify({ s, d }));
  }
});
