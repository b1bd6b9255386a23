// A cuttable WAN for the devkit supercluster: every gateway connection goes through a small TCP proxy in front of
// the server it dials, which reads the dialer's first protocol line (`CONNECT {"gateway":"<site>",…}`, plain TCP in
// the devkit) to learn which pair of sites the connection joins. Cutting a pair closes its connections and refuses
// new ones; healing lets the servers' own reconnects through again.
import { connect, createServer, type Server, type Socket } from 'node:net';

const pairOf = (a: string, b: string) => [a, b].sort().join('|');

export class WanLinks {
  private readonly cut = new Set<string>();
  private readonly open = new Map<string, Set<Socket>>();
  private readonly proxies: Server[] = [];

  /** Listens on `port` in front of the gateway port `upstream` of a server at `site`. */
  async proxy(site: string, port: number, upstream: number): Promise<void> {
    const server = createServer((inbound) => this.accept(site, inbound, upstream));
    this.proxies.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  }

  private accept(site: string, inbound: Socket, upstream: number): void {
    const outbound = connect(upstream, '127.0.0.1');
    const both = [inbound, outbound];
    const close = () => both.forEach((s) => s.destroy());
    both.forEach((s) => s.on('error', close).on('close', close));
    outbound.pipe(inbound); // the server speaks first (INFO)
    let head = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n');
      if (end < 0) return head.length > 65536 && close();
      inbound.off('data', sniff);
      const line = head.subarray(0, end).toString();
      const dialer = /^CONNECT\s+(\{.*\})/i.exec(line)
        ? (JSON.parse(/^CONNECT\s+(\{.*\})/i.exec(line)![1]!) as { gateway?: string }).gateway
        : undefined;
      const pair = pairOf(site, dialer ?? '');
      if (dialer === undefined || this.cut.has(pair)) return close();
      const conns = this.open.get(pair) ?? new Set<Socket>();
      this.open.set(pair, conns);
      both.forEach((s) => (conns.add(s), s.on('close', () => conns.delete(s))));
      outbound.write(head);
      inbound.pipe(outbound);
    };
    inbound.on('data', sniff);
  }

  /** Closes every gateway connection between sites `a` and `b` and refuses new ones until healed. */
  cutLink(a: string, b: string): void {
    const pair = pairOf(a, b);
    this.cut.add(pair);
    for (const s of this.open.get(pair) ?? []) s.destroy();
  }

  healLink(a: string, b: string): void {
    this.cut.delete(pairOf(a, b));
  }

  async close(): Promise<void> {
    for (const conns of this.open.values()) for (const s of conns) s.destroy();
    await Promise.all(this.proxies.map((p) => new Promise<void>((r) => p.close(() => r()))));
  }
}
