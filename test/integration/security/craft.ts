// Hand-made requests for the tests: signed with any key and certificate, with any field wrong,
// published straight onto the broker the way an attacker with broker access would.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import {
  PROTOCOL,
  buildRequestFrame,
  checkSecureReply,
  decodeFrame,
  decodeReply,
  encodeFrame,
  type ReplyEnvelope,
  type RequestEnvelope,
  type SecureRequest,
} from '../../../src/protocol/index.js';
import { privateKeyFromPem, signBytes } from '../../../src/security/pki/keys.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { craftRequest } from '../../../src/devkit/hostile.js';

export interface Credentials {
  cert: string;
  key: string;
}

export function credentialsFrom(certPath: string, keyPath: string): Credentials {
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

export function envelope(caller: string, overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return craftRequest(caller, { sender: 'attacker', ...overrides });
}

export function sign(text: string, creds: Credentials): SecureRequest {
  return {
    protocol: PROTOCOL.secureRequest,
    request: text,
    signature: signBytes(Buffer.from(text), privateKeyFromPem(creds.key)).toString('base64'),
    certificate: creds.cert,
  };
}

/** A raw connection that publishes frames and collects whatever comes back on its reply subject. */
export class Injector {
  private readonly nats: NatsConnector;
  private seq = 0;

  constructor(url: string) {
    this.nats = new NatsConnector({ servers: [url], name: 'injector' });
  }

  connect(): Promise<void> {
    return this.nats.connect();
  }

  /** Publishes one secure request broadcast to rpcutil; returns the decoded replies received within `waitMs`. */
  async send(secure: SecureRequest, waitMs = 800, subjectCollective = 'mcollective'): Promise<ReplyEnvelope[]> {
    const replies: ReplyEnvelope[] = [];
    const id = `probe${++this.seq}`;
    const inbox = await this.nats.openInbox(subjectCollective, 'attacker', id, (msg) => {
      const frame = decodeFrame(msg.data, 1 << 20);
      replies.push(decodeReply(checkSecureReply(frame.data).reply));
    });
    await this.nats.publish(
      { kind: 'broadcast', collective: subjectCollective, agent: 'rpcutil' },
      encodeFrame(buildRequestFrame(secure, 'attacker', inbox.address)),
    );
    await this.nats.flush();
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && replies.length === 0) await new Promise((r) => setTimeout(r, 20));
    if (replies.length > 0) await new Promise((r) => setTimeout(r, 50));
    await inbox.close();
    return replies;
  }

  close(): Promise<void> {
    return this.nats.close();
  }
}

/**
 * A client certificate signed by the CA with SHA-1, as an old or careless CA would make it; it carries the
 * operator role, so SHA-1 is the only thing wrong with it.
 */
export function sha1ClientCertificate(caCertPem: string, caKeyPem: string, name: string): Credentials {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '0a' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer(forge.pki.certificateFromPem(caCertPem).subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    {
      id: '1.3.6.1.4.1.34380.1.3.13',
      value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.UTF8, false, 'troupe-operator'),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha1.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
