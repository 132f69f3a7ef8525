/** The template's placeholders (style rule 21): the driver id and its PascalCase form. */
export const NAME_PLACEHOLDER = '__driver_name__';
export const CLASS_PLACEHOLDER = '__DriverName__';
/**
 * The name placeholder as Markdown prose must spell it (`\_\_driver_name\_\_`): unescaped, Markdown reads it as
 * bold, and the formatter would rewrite it to `**driver_name**`. Inside code spans the plain form is used.
 */
export const MARKDOWN_NAME_PLACEHOLDER = '\\_\\_driver_name\\_\\_';

/** kebab-case: lowercase letters and digits in dash-separated words, starting with a letter. */
export const DRIVER_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const MAX_NAME_LENGTH = 32;

/**
 * Names a new driver may not take: the template itself, the built-in backend names of core-interface's
 * `BUILTIN_BACKENDS` (loopback, aws, openstack) and the packages they map to (driver-loopback, driver-ebs,
 * driver-cinder). A test keeps this list in step with `BUILTIN_BACKENDS`; it is not imported, so that the
 * generator runs on a fresh clone before anything is built.
 */
export const RESERVED_NAMES = ['template', 'loopback', 'aws', 'ebs', 'openstack', 'cinder'] as const;

/** Why `name` cannot be a driver name, or `undefined` when it can. */
export function invalidNameReason(name: string): string | undefined {
  if (!DRIVER_NAME.test(name)) {
    return 'use kebab-case: lowercase letters and digits in dash-separated words, starting with a letter (e.g. acme-san)';
  }
  if (name.length > MAX_NAME_LENGTH) return `use at most ${MAX_NAME_LENGTH} characters`;
  if (name.startsWith('driver-') || name.endsWith('-driver')) {
    return 'leave out "driver": the package is named driver-<name> already';
  }
  if ((RESERVED_NAMES as readonly string[]).includes(name)) {
    return `"${name}" is reserved (built-in backends and the template: ${RESERVED_NAMES.join(', ')})`;
  }
  return undefined;
}

/** `acme-san` → `AcmeSan`, `s3-store` → `S3Store`: the class-name form of a valid driver name. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** `text` with both placeholders replaced, the Markdown-escaped spelling of the name included. */
export function substitute(text: string, name: string): string {
  return text
    .replaceAll(MARKDOWN_NAME_PLACEHOLDER, name)
    .replaceAll(NAME_PLACEHOLDER, name)
    .replaceAll(CLASS_PLACEHOLDER, pascalCase(name));
}
