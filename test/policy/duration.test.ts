import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/policy/duration.js';

test('parseDuration reads a whole number and one unit', () => {
  const table: Array<[string, number | null]> = [
    ['90s', 90_000],
    ['90m', 5_400_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['4w', 2_419_200_000],
    ['0s', 0],
    ['2x', null],
    ['-1h', null],
    ['1e9d', null],
    ['1.5h', null],
    ['2 h', null],
    ['h', null],
    ['', null],
    ['2H', null],
    ['2h30m', null],
    [' 2h', null],
    ['99999999999999999999d', null],
  ];
  for (const [text, ms] of table) assert.equal(parseDuration(text), ms, text);
});

test('formatDuration gives the shortest exact form and round-trips', () => {
  const table: Array<[number, string]> = [
    [0, '0s'],
    [1500, '1500ms'],
    [90_000, '90s'],
    [5_400_000, '90m'],
    [7_200_000, '2h'],
    [86_400_000, '1d'],
    [604_800_000, '1w'],
    [691_200_000, '8d'],
  ];
  for (const [ms, text] of table) {
    assert.equal(formatDuration(ms), text);
    if (!text.endsWith('ms')) assert.equal(parseDuration(text), ms);
  }
});
