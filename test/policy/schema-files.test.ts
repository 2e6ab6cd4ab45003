import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { schemaFilePath, schemaValidator } from '../../src/yaml/schema-validator.js';
import { REPO_ROOT } from './test-paths.js';

const SCHEMAS = ['snapshot-policy.schema.json', 'host-config.schema.json'];

/** Every sub-schema that declares properties, with its JSON path. */
function objectSchemas(node: unknown, path = '#'): Array<[string, Record<string, unknown>]> {
  if (node === null || typeof node !== 'object') return [];
  const out: Array<[string, Record<string, unknown>]> = [];
  const obj = node as Record<string, unknown>;
  if ('properties' in obj) out.push([path, obj]);
  for (const [k, v] of Object.entries(obj)) out.push(...objectSchemas(v, `${path}/${k}`));
  return out;
}

test('the committed schemas are draft 2020-12 with an $id and compile in ajv strict mode', async () => {
  for (const name of SCHEMAS) {
    const file = schemaFilePath(name);
    assert.equal(file, join(REPO_ROOT, 'policies', 'schema', name));
    const schema = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, `https://xensnap.dev/schema/v1/${name}`);
    assert.equal(typeof schemaValidator(name), 'function');
  }
});

test('every mapping in both schemas refuses unknown keys', async () => {
  for (const name of SCHEMAS) {
    const schema = JSON.parse(await readFile(schemaFilePath(name), 'utf8'));
    const objects = objectSchemas(schema);
    assert.ok(objects.length >= 5, name);
    for (const [path, obj] of objects) assert.equal(obj.additionalProperties, false, `${name} ${path}`);
  }
});

test('the schema validator reports every error at once', () => {
  const errors = schemaValidator('snapshot-policy.schema.json')({ apiVersion: 'x', kind: 'y', extra: 1 });
  assert.deepEqual(
    errors.map((e) => `${e.keyword} ${e.instancePath}`).sort(),
    ['additionalProperties ', 'const /apiVersion', 'const /kind', 'required ', 'required '],
  );
});

test('every sample file carries a yaml-language-server modeline naming an existing schema', async () => {
  const dirs = ['policies', join('examples', 'policies'), join('examples', 'config')];
  let count = 0;
  for (const d of dirs) {
    for (const f of (await readdir(join(REPO_ROOT, d))).filter((n) => n.endsWith('.yaml') || n.endsWith('.yaml.example'))) {
      const text = await readFile(join(REPO_ROOT, d, f), 'utf8');
      const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
      assert.ok(m, `${d}/${f} has no modeline`);
      const target = resolve(dirname(join(REPO_ROOT, d, f)), m[1]!);
      const expected = d.endsWith('config') ? 'host-config.schema.json' : 'snapshot-policy.schema.json';
      assert.equal(target, join(REPO_ROOT, 'policies', 'schema', expected), `${d}/${f}`);
      count++;
    }
  }
  assert.equal(count, 5);
});

test("the README's policy example is valid", async () => {
  const { parsePolicyText } = await import('../../src/policy/parse-policy-text.js');
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Policy language'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const r = parsePolicyText(yaml, 'README.md', { hookProfiles: { names: ['flush-db'], configFile: 'examples/config/config.yaml.example' } });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.policies.map((p) => [p.name, p.quiesce, p.retention.keepWithinMs]), [['web-hourly', 'off', 7_200_000]]);
});

test('the schema name pattern is the model\'s POLICY_NAME_RE', async () => {
  const { POLICY_NAME_RE } = await import('../../src/model/policy.js');
  const schema = JSON.parse(await readFile(schemaFilePath('snapshot-policy.schema.json'), 'utf8'));
  assert.equal(schema.properties.metadata.properties.name.pattern, POLICY_NAME_RE.source);
});
