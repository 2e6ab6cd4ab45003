import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyText } from '../../src/policy/parse-policy-text.js';
import { BAD_CASES } from './bad-policy-cases.js';

test('there are at least 50 bad cases', () => {
  assert.ok(BAD_CASES.length >= 50, String(BAD_CASES.length));
});

for (const c of BAD_CASES) {
  test(`bad policy: ${c.name}`, () => {
    const hookProfiles = c.hookProfiles ? { names: c.hookProfiles, configFile: '/etc/xensnap/config.yaml' } : null;
    const r = parsePolicyText(c.text, 'p.yaml', { hookProfiles });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`),
      c.expect,
    );
    for (const d of r.diagnostics) assert.equal(d.file, 'p.yaml');
    // a document with a problem never comes out as a policy
    const bad = new Set(r.diagnostics.map((d) => d.line));
    for (const p of r.policies) assert.ok(![...bad].some((l) => l >= p.source.line && l <= p.source.line + 10));
  });
}

test('diagnostics carry the JSON path of the value they are about', () => {
  const r = parsePolicyText(BAD_CASES.find((c) => c.name === 'negative count')!.text, 'p.yaml');
  assert.deepEqual(r.diagnostics, [
    { file: 'p.yaml', line: 10, col: 15, path: '/spec/retention/keepLast', message: 'spec.retention.keepLast must be at least 0 (got -1)' },
  ]);
  const u = parsePolicyText(BAD_CASES.find((c) => c.name === 'unknown key in spec')!.text, 'p.yaml');
  assert.equal(u.diagnostics[0]!.path, '/spec/interval');
});

test('a 12-level alias bomb (9^12 nodes if expanded) is refused without expanding it', () => {
  const levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 12; i++) levels.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
  const r = parsePolicyText(levels.join('\n') + '\n', 'bomb.yaml');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`),
    ['2:10: YAML: aliases expand too much (limit 100); an alias bomb?'],
  );
});

test('100000 nested brackets are refused by the depth check, not by a crash', () => {
  const text = 'x: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n';
  const r = parsePolicyText(text, 'deep.yaml');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`),
    ['1:35: nesting is deeper than 32 levels'],
  );
});

test('a text over the 1 MiB cap is refused before parsing', () => {
  const text = '# ' + 'x'.repeat(1024 * 1024) + '\n';
  const r = parsePolicyText(text, 'big.yaml');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`),
    ['1:1: file is too large (1048579 bytes); the limit is 1048576 bytes (1 MiB)'],
  );
});
