import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyText } from '../../src/policy/parse-policy-text.js';
import { parseHostConfigText } from '../../src/config/parse-host-config-text.js';
import { BASE } from './policy-text.js';
import { mulberry32 as rng } from '../util/mulberry32.js';

const ALPHABET = [':', ' ', '\n', '-', '[', ']', '{', '}', ',', '"', "'", '&a', '*a', '!!str', '#', '|', '>', '?', '\t', '---', '~', '0', 'é', '\u0000'];

test('1000 random mutations of a policy never throw; every diagnostic has a 1-based position', () => {
  const next = rng(20261126);
  for (let i = 0; i < 1000; i++) {
    let text = BASE;
    const edits = 1 + Math.floor(next() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(next() * (text.length + 1));
      const del = Math.floor(next() * 4);
      const ins = ALPHABET[Math.floor(next() * ALPHABET.length)]!;
      text = text.slice(0, at) + ins + text.slice(at + del);
    }
    const r = parsePolicyText(text, 'f.yaml');
    const c = parseHostConfigText(text, 'c.yaml');
    for (const d of [...r.diagnostics, ...c.diagnostics]) {
      assert.ok(d.line >= 1 && d.col >= 1 && d.message.length > 0, `seed step ${i}: ${JSON.stringify(d)}`);
    }
    // every text gives a policy or says why not
    assert.ok(r.policies.length + r.diagnostics.length > 0, `step ${i}`);
  }
});
