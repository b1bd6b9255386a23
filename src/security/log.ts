/** The part of a pino logger security code writes to. */
export interface SecurityLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: SecurityLog = { info() {}, warn() {}, error() {} };
