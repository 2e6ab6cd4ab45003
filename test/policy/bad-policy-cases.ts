import { BASE, edit, named } from './policy-text.js';

/** One bad input for parsePolicyText and every diagnostic it must give, as `line:col: message`. */
export interface BadCase {
  name: string;
  text: string;
  expect: string[];
  hookProfiles?: string[];
}

const deepFlow = 'x: ' + '['.repeat(40) + ']'.repeat(40) + '\n';
let deepBlock = '';
for (let i = 0; i < 40; i++) deepBlock += ' '.repeat(i) + 'k:\n';
const bomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  '',
].join('\n');

export const BAD_CASES: BadCase[] = [
  // YAML syntax
  { name: 'unclosed flow list', text: edit('names: ["web-*"]', 'names: ["web-*"'), expect: ["8:3: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]"] },
  { name: 'nested compact mapping', text: edit('  name: web', '  name: web: one'), expect: ["4:9: YAML: Nested mappings are not allowed in compact mappings"] },
  { name: 'unclosed quote', text: edit('"0 * * * *"', '"0 * * * *'), expect: ["11:1: YAML: Missing closing \"quote"] },
  { name: 'tab indentation', text: edit('    keepLast: 3', '\tkeepLast: 3'), expect: ["10:1: YAML: tab character used for indentation (use spaces)"] },
  { name: 'duplicate key', text: edit('  retention:', '  schedule: "5 * * * *"\n  retention:'), expect: ["9:3: YAML: duplicate key \"schedule\""] },
  { name: 'duplicate nested key', text: BASE + '    keepLast: 4\n', expect: ["11:5: YAML: duplicate key \"keepLast\""] },
  { name: 'alias bomb', text: bomb, expect: ["2:8: YAML: aliases expand too much (limit 100); an alias bomb?"] },
  { name: 'alias without anchor', text: edit('names: ["web-*"]', 'names: *webs'), expect: ["7:12: YAML: alias names no anchor defined before it"] },
  { name: 'deep flow nesting', text: deepFlow, expect: ["1:35: nesting is deeper than 32 levels"] },
  { name: 'deep block nesting', text: deepBlock, expect: ["33:33: nesting is deeper than 32 levels"] },
  { name: 'NUL byte (binary)', text: edit('web-*', 'web-\u0000'), expect: ["7:18: binary file (NUL byte at offset 105); expected UTF-8 text"] },
  { name: 'empty text', text: '', expect: ["1:1: empty file: expected at least one SnapshotPolicy document"] },
  { name: 'only comments', text: '# nothing here\n\n# at all\n', expect: ["1:1: empty file: expected at least one SnapshotPolicy document"] },
  { name: 'document is a list', text: '- a\n- b\n', expect: ["1:1: document must be a mapping (got a list)"] },
  {
    name: 'some other YAML (a host config)',
    text: '# comment\nstateDir: /srv\nhypervisor: xen\n',
    expect: ['2:1: not a policy: no apiVersion or kind (expected apiVersion: xensnap.dev/v1, kind: SnapshotPolicy)'],
  },
  { name: 'document is a scalar', text: 'just words\n', expect: ["1:1: document must be a mapping (got \"just words\")"] },
  // unknown keys at every level
  { name: 'unknown key at the top', text: BASE + 'status: {}\n', expect: ["11:1: unknown key \"status\" (allowed: apiVersion, kind, metadata, spec)"] },
  { name: 'unknown key in metadata', text: edit('  name: web', '  name: web\n  labels: {}'), expect: ["5:3: unknown key \"labels\" in metadata (allowed: name, description)"] },
  { name: 'unknown key in spec', text: edit('  schedule:', '  interval: 1h\n  schedule:'), expect: ["8:3: unknown key \"interval\" in spec (allowed: selector, disks, schedule, timezone, mode, type, quiesce, hooks, retention, deletionPolicy)"] },
  { name: 'unknown key in selector', text: edit('    names:', '    tags: [a]\n    names:'), expect: ["7:5: unknown key \"tags\" in spec.selector (allowed: names, uuids, exclude, states)"] },
  { name: 'unknown key in retention (typo)', text: edit('keepLast', 'keeplast'), expect: [
      "9:3: spec.retention has no rule; set at least one of keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin",
      "10:5: unknown key \"keeplast\" in spec.retention; did you mean \"keepLast\"?",
    ] },
  // missing required keys
  { name: 'missing apiVersion', text: edit('apiVersion: xensnap.dev/v1\n', ''), expect: ["1:1: missing required key \"apiVersion\""] },
  { name: 'missing metadata.name', text: edit('  name: web', '  description: no name'), expect: ["3:1: missing required key \"name\" in metadata"] },
  { name: 'missing spec.schedule', text: edit('  schedule: "0 * * * *"\n', ''), expect: ["5:1: missing required key \"schedule\" in spec"] },
  { name: 'missing spec.retention', text: edit('  retention:\n    keepLast: 3\n', ''), expect: ["5:1: missing required key \"retention\" in spec"] },
  // wrong types
  { name: 'count as a string', text: edit('keepLast: 3', 'keepLast: three'), expect: ["10:15: spec.retention.keepLast must be a whole number (got \"three\")"] },
  { name: 'names as a string', text: edit('names: ["web-*"]', 'names: web-*'), expect: ["7:12: spec.selector.names must be a list (got \"web-*\")"] },
  { name: 'schedule as a number', text: edit('"0 * * * *"', '5'), expect: ["8:13: spec.schedule must be a string (got 5)"] },
  { name: 'spec as a list', text: 'apiVersion: xensnap.dev/v1\nkind: SnapshotPolicy\nmetadata: {name: web}\nspec: [a]\n', expect: ["4:7: spec must be a mapping (got a list)"] },
  { name: 'empty disks list', text: edit('  schedule:', '  disks: []\n  schedule:'), expect: ["8:10: spec.disks must not be empty"] },
  { name: 'unknown state', text: edit('    names:', '    states: [running, asleep]\n    names:'), expect: ["7:23: spec.selector.states[1] must be one of: running, paused, shutoff (got \"asleep\")"] },
  { name: 'duplicate state', text: edit('    names:', '    states: [running, running]\n    names:'), expect: ["7:23: spec.selector.states lists the same item twice ([0] and [1])"] },
  { name: 'unknown mode', text: edit('  schedule:', '  mode: fast\n  schedule:'), expect: ["8:9: spec.mode must be one of: disk-only, live (got \"fast\")"] },
  { name: 'unknown type', text: edit('  schedule:', '  type: snapshot\n  schedule:'), expect: ["8:9: spec.type must be one of: internal, external (got \"snapshot\")"] },
  { name: 'quiesce yes (a string in YAML 1.2)', text: edit('  schedule:', '  quiesce: yes\n  schedule:'), expect: ["8:12: spec.quiesce must be one of: false, true, required (got \"yes\")"] },
  { name: 'deletionPolicy lowercase', text: edit('  schedule:', '  deletionPolicy: delete\n  schedule:'), expect: ["8:19: spec.deletionPolicy must be one of: Retain, Delete (got \"delete\")"] },
  { name: 'malformed uuid', text: edit('    names:', '    uuids: [not-a-uuid]\n    names:'), expect: ["7:13: spec.selector.uuids[0] must be a UUID like 3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10 (got \"not-a-uuid\")"] },
  { name: 'disk name with a slash', text: edit('  schedule:', '  disks: [/dev/xvda]\n  schedule:'), expect: ["8:11: spec.disks[0] must be 1-32 letters, digits, \"_\" or \"-\" (a vdev like xvda) (got \"/dev/xvda\")"] },
  // apiVersion and kind
  { name: 'unknown apiVersion', text: edit('xensnap.dev/v1', 'xensnap.dev/v2'), expect: ["1:13: unknown apiVersion \"xensnap.dev/v2\" (expected \"xensnap.dev/v1\")"] },
  { name: 'unknown kind', text: edit('SnapshotPolicy', 'Policy'), expect: ["2:7: unknown kind \"Policy\" (expected \"SnapshotPolicy\")"] },
  // names
  { name: 'name with a slash', text: named('web/1'), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"web/1\")"] },
  { name: 'name ..', text: named('..'), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"..\")"] },
  { name: 'name with a space', text: named('"web one"'), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"web one\")"] },
  { name: 'name with unicode', text: named('wéb'), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"wéb\")"] },
  { name: 'name of 200 characters', text: named('a'.repeat(200)), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\")"] },
  { name: 'name of 42 characters', text: named('a'.repeat(42)), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\")"] },
  { name: 'name in capitals', text: named('Web'), expect: ["4:9: metadata.name must be 1-41 lowercase letters, digits or \"-\", starting with a letter or digit (got \"Web\")"] },
  { name: 'name as a number', text: named('42'), expect: ["4:9: metadata.name must be a string (got 42)"] },
  // cron
  { name: '6-field cron', text: edit('"0 * * * *"', '"0 0 * * * *"'), expect: ["8:13: spec.schedule \"0 0 * * * *\" must have 5 fields (minute hour day-of-month month day-of-week), not 6"] },
  { name: 'cron in words', text: edit('"0 * * * *"', '"every hour"'), expect: ["8:13: spec.schedule \"every hour\" must have 5 fields (minute hour day-of-month month day-of-week), not 2"] },
  { name: 'nonsense 5-field cron', text: edit('"0 * * * *"', '"a b c d e"'), expect: ["8:13: spec.schedule \"a b c d e\" is not a valid cron expression: Invalid characters, got value: a"] },
  { name: 'cron minute 61', text: edit('"0 * * * *"', '"61 * * * *"'), expect: ["8:13: spec.schedule \"61 * * * *\" is not a valid cron expression: Constraint error, got value 61 expected range 0-59"] },
  { name: 'cron 31 February', text: edit('"0 * * * *"', '"0 0 31 2 *"'), expect: ["8:13: spec.schedule \"0 0 31 2 *\" is not a valid cron expression: Invalid explicit day of month definition"] },
  { name: 'cron macro', text: edit('"0 * * * *"', '"@hourly"'), expect: ["8:13: spec.schedule \"@hourly\" must have 5 fields (minute hour day-of-month month day-of-week), not 1"] },
  // timezone
  { name: 'timezone Mars/Olympus', text: edit('  schedule:', '  timezone: Mars/Olympus\n  schedule:'), expect: ["8:13: unknown timezone \"Mars/Olympus\" (expected an IANA name like Europe/Paris or UTC)"] },
  { name: 'empty timezone', text: edit('  schedule:', '  timezone: ""\n  schedule:'), expect: ["8:13: unknown timezone \"\" (expected an IANA name like Europe/Paris or UTC)"] },
  // retention counts
  { name: 'negative count', text: edit('keepLast: 3', 'keepLast: -1'), expect: ["10:15: spec.retention.keepLast must be at least 0 (got -1)"] },
  { name: 'zero-only retention', text: edit('keepLast: 3', 'keepLast: 0\n    keepDaily: 0'), expect: ["9:3: spec.retention keeps nothing: every rule is 0"] },
  { name: 'fractional count', text: edit('keepLast: 3', 'keepLast: 2.5'), expect: ["10:15: spec.retention.keepLast must be a whole number (got 2.5)"] },
  { name: 'huge count', text: edit('keepLast: 3', 'keepLast: 100001'), expect: ["10:15: spec.retention.keepLast must be at most 100000 (got 100001)"] },
  { name: 'huge count in exponent form', text: edit('keepLast: 3', 'keepLast: 1e20'), expect: ["10:15: spec.retention.keepLast must be at most 100000 (got 100000000000000000000)"] },
  { name: 'retention without a rule', text: edit('  retention:\n    keepLast: 3', '  retention: {}'), expect: ["9:14: spec.retention has no rule; set at least one of keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin"] },
  // durations
  { name: 'duration 2x', text: edit('keepLast: 3', 'keepWithin: 2x'), expect: ["10:17: spec.retention.keepWithin must be a duration: a whole number followed by s, m, h, d or w (like 90m, 2h, 7d) (got \"2x\")"] },
  { name: 'duration -1h', text: edit('keepLast: 3', 'keepWithin: -1h'), expect: ["10:17: spec.retention.keepWithin must be a duration: a whole number followed by s, m, h, d or w (like 90m, 2h, 7d) (got \"-1h\")"] },
  { name: 'duration 1e9d', text: edit('keepLast: 3', 'keepWithin: 1e9d'), expect: ["10:17: spec.retention.keepWithin must be a duration: a whole number followed by s, m, h, d or w (like 90m, 2h, 7d) (got \"1e9d\")"] },
  { name: 'duration with a space', text: edit('keepLast: 3', 'keepWithin: 2 h'), expect: ["10:17: spec.retention.keepWithin must be a duration: a whole number followed by s, m, h, d or w (like 90m, 2h, 7d) (got \"2 h\")"] },
  { name: 'duration over 10 years', text: edit('keepLast: 3', 'keepWithin: 5000w'), expect: ["10:17: spec.retention.keepWithin \"5000w\" is longer than the maximum of 10 years (3650d)"] },
  { name: 'duration as a number', text: edit('keepLast: 3', 'keepWithin: 7200'), expect: ["10:17: spec.retention.keepWithin must be a string (got 7200)"] },
  { name: 'zero duration only', text: edit('keepLast: 3', 'keepWithin: 0s'), expect: ["9:3: spec.retention keeps nothing: every rule is 0"] },
  // selectors
  { name: 'empty selector', text: edit('    names: ["web-*"]', '    {}').replace('  selector:\n    {}', '  selector: {}'), expect: ["6:13: spec.selector selects nothing; give at least one of names, uuids"] },
  { name: 'empty names and uuids', text: edit('names: ["web-*"]', 'names: []\n    uuids: []'), expect: ["6:3: spec.selector selects nothing; give at least one of names, uuids"] },
  { name: 'only exclude', text: edit('names: ["web-*"]', 'exclude: ["web-1"]'), expect: ["6:3: spec.selector selects nothing; give at least one of names, uuids"] },
  // hooks
  { name: 'hook name with a space', text: edit('  schedule:', '  hooks: flush db\n  schedule:'), expect: ["8:10: spec.hooks must be 1-63 lowercase letters, digits, \"_\" or \"-\", starting with a letter or digit (got \"flush db\")"] },
  {
    name: 'hook profile not in the host config',
    text: edit('  schedule:', '  hooks: flush-db\n  schedule:'),
    hookProfiles: ['backup'],
    expect: ["8:10: hook profile \"flush-db\" is not defined in the host config /etc/xensnap/config.yaml (defined: backup)"],
  },
  // several documents and several problems
  { name: 'second document bad', text: BASE + '---\n' + edit('keepLast: 3', 'keepLast: -3', named('db')), expect: ["21:15: spec.retention.keepLast must be at least 0 (got -3)"] },
  { name: 'same name twice in one file', text: BASE + '---\n' + BASE, expect: ["15:9: duplicate policy name \"web\" (also defined at p.yaml:4:9)"] },
  {
    name: 'several problems at once, sorted',
    text: edit('"0 * * * *"', '"0 0 * * * *"\n  timezone: Mars/Olympus\n  colour: red'),
    expect: [
      "8:13: spec.schedule \"0 0 * * * *\" must have 5 fields (minute hour day-of-month month day-of-week), not 6",
      "9:13: unknown timezone \"Mars/Olympus\" (expected an IANA name like Europe/Paris or UTC)",
      "10:3: unknown key \"colour\" in spec (allowed: selector, disks, schedule, timezone, mode, type, quiesce, hooks, retention, deletionPolicy)",
    ],
  },
];
