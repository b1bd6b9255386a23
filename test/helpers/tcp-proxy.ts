// A loopback TCP proxy in front of a broker that can cut every connection and hold new ones (accepted, but not
// forwarded until release), as a broker does that is slow to take a reconnecting fleet.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class HoldingProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private held: Socket[] = [];
  private holding = false;
  private onlyOne = false;
  private readonly heldWaiters: Array<() => void> = [];
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.holding && this.onlyOne && this.held.length > 0) client.destroy();
      else if (this.holding) {
        this.held.push(client);
        for (const wake of this.heldWaiters.splice(0)) wake();
      } else this.forward(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target);
    this.sockets.add(upstream);
    upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()));
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** New connections are accepted but get nothing from the broker until release(). */
  hold(): void {
    this.holding = true;
  }

  /** The next connection is held as by hold(); others are refused until release(). */
  holdOne(): void {
    this.holding = true;
    this.onlyOne = true;
  }

  /** Resolves once a connection is being held. */
  heldConnection(): Promise<void> {
    return this.held.length > 0 ? Promise.resolve() : new Promise((r) => this.heldWaiters.push(r));
  }

  release(): void {
    this.holding = false;
    this.onlyOne = false;
    for (const c of this.held.splice(0)) if (!c.destroyed) this.forward(c);
  }

  /** Cuts every connection through the proxy. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A loopback TCP proxy that delivers every byte, in order, `delayMs` late in both directions: a slow link. */
export class SlowLink {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly delayMs: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => (this.sockets.delete(s), client.destroy(), upstream.destroy()));
      }
      this.lag(client, upstream);
      this.lag(upstream, client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  // Timers of one delay fire in the order they were set, so the bytes keep theirs.
  private lag(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => setTimeout(() => to.destroyed || to.write(chunk), this.delayMs));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
