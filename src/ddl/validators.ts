import { isIPv4, isIPv6 } from 'node:net';

/**
 * Named validators usable as an input's `validation`, after MCollective's validator plugins.
 * Each returns why the value is rejected, or undefined when it is accepted.
 */
export type NamedValidator = (value: unknown) => string | undefined;

/** Characters a shell would treat specially; MCollective's shellsafe list. */
const SHELL_UNSAFE = ['`', '$', ';', '|', '&', '>', '<'];

function shellsafe(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'should be a string';
  for (const c of SHELL_UNSAFE) {
    if (value.includes(c)) return `is not shell safe: it contains '${c}'`;
  }
  if (/[\r\n]/.test(value)) return 'is not shell safe: it contains a line break';
  if (value.includes('\t')) return 'is not shell safe: it contains a tab';
  return undefined;
}

const ipv4address: NamedValidator = (value) => (typeof value === 'string' && isIPv4(value) ? undefined : 'should be an IPv4 address');

const ipv6address: NamedValidator = (value) => (typeof value === 'string' && isIPv6(value) ? undefined : 'should be an IPv6 address');

const ipaddress: NamedValidator = (value) =>
  typeof value === 'string' && (isIPv4(value) || isIPv6(value)) ? undefined : 'should be an IP address';

const boolean: NamedValidator = (value) => (typeof value === 'boolean' ? undefined : 'should be a boolean');

const NAMED_VALIDATORS: Readonly<Record<string, NamedValidator>> = {
  shellsafe,
  ipv4address,
  ipv6address,
  ipaddress,
  boolean,
};

export const NAMED_VALIDATOR_NAMES = Object.keys(NAMED_VALIDATORS);

/** The validator called `name`, or undefined when `validation` is a regular expression instead. */
export function namedValidator(name: string): NamedValidator | undefined {
  return Object.hasOwn(NAMED_VALIDATORS, name) ? NAMED_VALIDATORS[name] : undefined;
}
