// How a config key is declared: its type, default, scope and doc. Every plugin declares its own keys with these
// types in a `keys.ts` beside it (this file is all such a declaration may import); config/keys.ts collects them.

export type ConfigScope = 'server' | 'client' | 'both';

/**
 * A computed default. It receives the values resolved so far, in declaration order, so a key
 * may derive its default from keys declared above it.
 */
export type ComputedDefault<T> = (resolved: Readonly<Record<string, unknown>>) => T;

interface KeyBase {
  scope: ConfigScope;
  description: string;
  /** How the default reads in the reference table, when it is computed or needs words. */
  defaultDoc?: string;
  /**
   * The value is a secret (a password, token or passphrase): it is never shown outside this process.
   * Absent, a key is secret when its name looks like one (see `isSecretKey`); `false` says it is not.
   */
  secret?: boolean;
}

export type KeySpec =
  | (KeyBase & { type: 'string'; default: string | ComputedDefault<string>; pattern?: RegExp; patternDoc?: string })
  | (KeyBase & { type: 'path'; default: string })
  | (KeyBase & { type: 'integer'; default: number; min?: number; max?: number })
  | (KeyBase & { type: 'number'; default: number; min?: number; max?: number })
  | (KeyBase & { type: 'boolean'; default: boolean })
  | (KeyBase & {
      type: 'list';
      default: readonly string[];
      /** `url` items must look like `scheme://host[:port]`. */
      item?: 'url';
      nonEmpty?: boolean;
      pattern?: RegExp;
      patternDoc?: string;
    })
  | (KeyBase & { type: 'pathlist'; default: readonly string[] })
  | (KeyBase & { type: 'enum'; default: string; values: readonly string[] });

export type KeyType = KeySpec['type'];

/** A plugin's key declarations; `satisfies KeyTable` keeps their literal types for typed access. */
export type KeyTable = Record<string, KeySpec>;
