// Encoding and decoding of every layer, each checked against its JSON Schema.
// Decoders are the daemon's and client's first line of defence: they throw ProtocolError, never anything else.
import * as crypto from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import {
  PROTOCOL,
  type ReplyEnvelope,
  type RequestEnvelope,
  type SecureReply,
  type SecureRequest,
  type TransportFrame,
} from './envelopes.js';
import { ProtocolError } from './errors.js';
import { describeSchemaErrors, validatorFor } from './schemas.js';

const textDecoder = new TextDecoder('utf-8', { fatal: true });

let validators:
  | {
      transport: ValidateFunction<TransportFrame<unknown>>;
      secureRequest: ValidateFunction<SecureRequest>;
      request: ValidateFunction<RequestEnvelope>;
      secureReply: ValidateFunction<SecureReply>;
      reply: ValidateFunction<ReplyEnvelope>;
    }
  | undefined;

function v() {
  validators ??= {
    transport: validatorFor('troupe:transport'),
    secureRequest: validatorFor('troupe:secure-request'),
    request: validatorFor('troupe:request'),
    secureReply: validatorFor('troupe:secure-reply'),
    reply: validatorFor('troupe:reply'),
  };
  return validators;
}

/** Compiles every validator now, so the first message is not slowed by schema compilation. */
export function prepareCodecs(): void {
  v();
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ProtocolError('malformed', `${what} is not JSON: ${(err as Error).message}`);
  }
}

function check<T>(fn: ValidateFunction<T>, value: unknown, what: string): T {
  if (!fn(value)) throw new ProtocolError('schema', `${what} ${describeSchemaErrors(fn.errors)}`);
  return value;
}

// One-shot hashing (Node >= 20.12) costs a third of a Hash object: it runs for every reply a client receives.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

export function encodeFrame(frame: TransportFrame): Uint8Array {
  // Buffer.from carves small frames out of a shared pool; TextEncoder would allocate a backing store per message.
  return Buffer.from(JSON.stringify(frame), 'utf8');
}

/** Bytes off the wire → text, enforcing the size limit and UTF-8. */
export function frameText(bytes: Uint8Array, maxSize: number): string {
  if (bytes.byteLength > maxSize) {
    throw new ProtocolError('oversize', `message of ${bytes.byteLength} bytes exceeds the limit of ${maxSize}`);
  }
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw new ProtocolError('malformed', 'message is not valid UTF-8');
  }
}

/** Bytes off the wire → a schema-checked transport frame. */
export function decodeFrame(bytes: Uint8Array, maxSize: number): TransportFrame<unknown> {
  return decodeFrameText(frameText(bytes, maxSize));
}

export function decodeFrameText(text: string): TransportFrame<unknown> {
  return check(v().transport, parseJson(text, 'transport frame'), 'transport frame');
}

export interface DecodedRequest {
  frame: TransportFrame<unknown>;
  secure: SecureRequest;
  request: RequestEnvelope;
}

/** A request frame's text → every layer, each schema-checked. Nothing here is authenticated yet. */
export function decodeRequestText(text: string): DecodedRequest {
  const frame = decodeFrameText(text);
  const secure = checkSecureRequest(frame.data);
  return { frame, secure, request: decodeRequest(secure.request) };
}

export function buildRequestFrame(secure: SecureRequest, sender: string, replyTo: string): TransportFrame<SecureRequest> {
  return { protocol: PROTOCOL.transport, reply_to: replyTo, sender, data: secure };
}

export function buildReplyFrame(secure: SecureReply, sender: string): TransportFrame<SecureReply> {
  return { protocol: PROTOCOL.transport, sender, data: secure };
}

export function checkSecureRequest(value: unknown): SecureRequest {
  return check(v().secureRequest, value, 'secure request');
}

export function decodeRequest(text: string): RequestEnvelope {
  return check(v().request, parseJson(text, 'request'), 'request');
}

export function checkSecureReply(value: unknown): SecureReply {
  return check(v().secureReply, value, 'secure reply');
}

export function decodeReply(text: string): ReplyEnvelope {
  return check(v().reply, parseJson(text, 'reply'), 'reply');
}
