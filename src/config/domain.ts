// What a DNS domain name looks like, for `srv_domain` and the domains found in facts or the host name.

/** Dot-separated labels of letters, digits, - and _ (1–63 characters, no - at either end), 253 at most in all. */
export const DOMAIN_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** IPv4:PORT or [IPv6]:PORT, the port 1–65535 (the IPv6 address itself is checked where it is used). */
export const NAMESERVER_ADDRESS =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|\[[0-9A-Fa-f:.]+\]):(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})$/;
