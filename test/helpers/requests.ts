// Request envelopes and frames as a client (or an attacker) puts them on the wire, for tests that skip the RpcClient.
import { PROTOCOL, buildRequestFrame, encodeFrame, type RequestEnvelope } from '../../src/protocol/index.js';

/** A valid request envelope: rpcutil ping from `caller` in the mcollective collective, fields overridden by `over`. */
export { craftRequest } from '../../src/devkit/hostile.js';

/** The frame of an unsigned request (the insecure provider's), answered at `replyTo`. */
export function unsignedFrame(req: RequestEnvelope | Record<string, unknown>, replyTo: string, sender: string): Uint8Array {
  return encodeFrame(buildRequestFrame({ protocol: PROTOCOL.secureRequest, request: JSON.stringify(req) }, sender, replyTo));
}
