// The layered message model. Each layer has one job and a JSON Schema in schemas/:
//   RPC body → request envelope → secure envelope → transport frame (and the mirror for replies).
import type { Filter } from '../filter/index.js';

export const PROTOCOL = {
  rpcRequest: 'troupe:rpc:request:1',
  request: 'troupe:request:1',
  secureRequest: 'troupe:secure:request:1',
  reply: 'troupe:reply:1',
  secureReply: 'troupe:secure:reply:1',
  transport: 'troupe:transport:1',
} as const;

/** What the caller wants done: one action of one agent. */
export interface RpcRequestBody {
  agent: string;
  action: string;
  data: Record<string, unknown>;
}

export interface RequestEnvelope {
  protocol: typeof PROTOCOL.request;
  id: string;
  /** The client process that sent it; replies go to its reply address. */
  sender: string;
  /** Who asked, as the security provider names them (e.g. `cert=ops.example.com`). */
  caller: string;
  collective: string;
  agent: string;
  /** Seconds the request stays valid after `time`. */
  ttl: number;
  /** Milliseconds since the epoch, when the request was created. */
  time: number;
  filter: Filter;
  message: RpcRequestBody;
  /** The person a service (the web console) sent it for; the service's certificate signs it. Audit and policies see it. */
  on_behalf_of?: string;
}

/** The request text exactly as signed, plus what proves who sent it. */
export interface SecureRequest {
  protocol: typeof PROTOCOL.secureRequest;
  request: string;
  signature?: string;
  certificate?: string;
}

/** MCollective's RPC status codes. */
export const StatusCode = {
  OK: 0,
  Aborted: 1,
  UnknownAction: 2,
  MissingData: 3,
  InvalidData: 4,
  UnknownError: 5,
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export const STATUS_WORDS: Record<number, string> = {
  0: 'OK',
  1: 'Request Aborted',
  2: 'Unknown Action',
  3: 'Missing Request Data',
  4: 'Invalid Request Data',
  5: 'Unknown Request Status',
};

export interface RpcReplyBody {
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
}

export interface ReplyEnvelope {
  protocol: typeof PROTOCOL.reply;
  request_id: string;
  sender: string;
  agent: string;
  action: string;
  time: number;
  message: RpcReplyBody;
}

export interface SecureReply {
  protocol: typeof PROTOCOL.secureReply;
  reply: string;
  /** SHA-256 of `reply`, hex: detects corruption even without signatures. */
  hash: string;
  signature?: string;
  certificate?: string;
}

export interface TransportFrame<T = SecureRequest | SecureReply> {
  protocol: typeof PROTOCOL.transport;
  /** Where replies go; set on requests only. */
  reply_to?: string;
  sender: string;
  data: T;
}
