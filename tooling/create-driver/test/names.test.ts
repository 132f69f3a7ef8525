import { BUILTIN_BACKENDS } from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { invalidNameReason, pascalCase, RESERVED_NAMES, substitute } from '../src/index.js';

describe('invalidNameReason', () => {
  it.each(['acme', 'acme-san', 's3-store', 'x1'])('accepts %s', (name) => {
    expect(invalidNameReason(name)).toBeUndefined();
  });

  it.each([
    ['Acme', /kebab-case/],
    ['acme_san', /kebab-case/],
    ['acme--san', /kebab-case/],
    ['-acme', /kebab-case/],
    ['acme-', /kebab-case/],
    ['3par', /kebab-case/],
    ['../evil', /kebab-case/],
    ['', /kebab-case/],
    ['a'.repeat(33), /at most 32/],
    ['driver-acme', /leave out "driver"/],
    ['acme-driver', /leave out "driver"/],
    ['template', /reserved/],
    ['aws', /reserved/],
    ['cinder', /reserved/],
  ])('refuses %j', (name, reason) => {
    expect(invalidNameReason(name)).toMatch(reason);
  });

  it("reserves every built-in backend name and the packages they map to, as core-interface's table says", () => {
    const packages = Object.values(BUILTIN_BACKENDS).map((specifier) =>
      specifier.replace('@flockerjs/driver-', ''),
    );
    expect(new Set(RESERVED_NAMES)).toEqual(
      new Set(['template', ...Object.keys(BUILTIN_BACKENDS), ...packages]),
    );
  });
});

describe('substitute', () => {
  it('replaces both placeholders everywhere', () => {
    expect(pascalCase('s3-store')).toBe('S3Store');
    expect(
      substitute("class __DriverName__Driver {} // '__driver_name__' __driver_name__-client.ts", 'acme-san'),
    ).toBe("class AcmeSanDriver {} // 'acme-san' acme-san-client.ts");
    expect(substitute('# @flockerjs/driver-\\_\\_driver_name\\_\\_ and `__driver_name__`', 'acme')).toBe(
      '# @flockerjs/driver-acme and `acme`',
    );
  });
});
