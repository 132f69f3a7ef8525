import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { agentConfigJsonSchema } from '../src/index.js';

interface JsonSchemaNode {
  readonly description?: unknown;
  readonly properties?: Record<string, JsonSchemaNode>;
}

/** Every `properties` entry in the schema, as `path.to.key`. */
function propertiesOf(node: JsonSchemaNode, prefix = ''): [string, JsonSchemaNode][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]): [string, JsonSchemaNode][] => [
    [`${prefix}${key}`, child],
    ...propertiesOf(child, `${prefix}${key}.`),
  ]);
}

describe('agent.yml JSON Schema', () => {
  it('matches the schema.json shipped at the package root', async () => {
    await expect(`${JSON.stringify(agentConfigJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(
      '../schema.json',
    );
  });

  it('is exported as @flockerjs/core-interface/schema.json and published', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, unknown>;
      files: string[];
    };
    expect(manifest.exports['./schema.json']).toBe('./schema.json');
    expect(manifest.files).toContain('schema.json');
  });

  it('describes every property', () => {
    const properties = propertiesOf(agentConfigJsonSchema() as JsonSchemaNode);
    expect(properties.map(([path]) => path)).toEqual([
      'version',
      'control-service',
      'control-service.hostname',
      'control-service.port',
      'dataset',
      'dataset.backend',
      'logging',
      'logging.level',
      'logging.file',
    ]);
    const undescribed = properties.filter(
      ([, node]) => typeof node.description !== 'string' || node.description === '',
    );
    expect(undescribed.map(([path]) => path)).toEqual([]);
  });

  it('states the defaults and which keys are required', () => {
    const schema = agentConfigJsonSchema() as {
      required: string[];
      additionalProperties: unknown;
      properties: Record<string, { required?: string[]; properties: Record<string, { default?: unknown }> }>;
    };
    expect(schema.required).toEqual(['version', 'control-service', 'dataset']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties['control-service']?.required).toEqual(['hostname']);
    expect(schema.properties['control-service']?.properties.port?.default).toBe(4524);
    expect(schema.properties.dataset?.required).toEqual(['backend']);
    expect(schema.properties.logging?.properties.level?.default).toBe('info');
  });
});
