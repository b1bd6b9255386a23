// The shape of every command's action: commander calls it with the arguments, the typed options and the command;
// what it returns is the exit code. `Run` wraps it so a thrown error is reported as one line.

export type Action<A extends unknown[]> = (...args: A) => Promise<number> | number;

export type Run = <A extends unknown[]>(fn: Action<A>) => (...args: unknown[]) => Promise<void>;

/** What every command that reads a config file takes. */
export interface ConfigFlags {
  config?: string;
  debug?: boolean;
}
