import { createServer, Server, Socket } from 'net';

/**
 * A TCP relay in front of a real server (PostgreSQL, Redis, an API instance) that a test can cut and restore.
 * When either side of a relayed connection closes, so does the other, as a network path would.
 */
export class CuttableProxy {
  private server?: Server;
  private sockets = new Set<Socket>();
  private stalled = false;
  port = 0;

  /** Where new connections go; a test may point it elsewhere (an instance that replaced the first). */
  constructor(public target: { host: string; port: number }) {}

  /** A relay to `baseUrl`'s host and port, already open. */
  static async to(baseUrl: string): Promise<CuttableProxy> {
    const url = new URL(baseUrl);
    const proxy = new CuttableProxy({ host: url.hostname, port: Number(url.port) });
    await proxy.open();
    return proxy;
  }

  /**
   * A relay to the server of a connection URL (postgres://, redis://), already open, and that URL rewritten to
   * go through it.
   */
  static async forService(
    serviceUrl: string,
    defaultPort: number,
  ): Promise<{ proxy: CuttableProxy; url: string }> {
    const target = new URL(serviceUrl);
    const proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || defaultPort) });
    await proxy.open();
    const through = new URL(target);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    return { proxy, url: through.toString() };
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => {
          this.sockets.delete(s);
          (s === client ? upstream : client).destroy();
        });
      }
      client.pipe(upstream).pipe(client);
      if (this.stalled) for (const s of [client, upstream]) s.pause();
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Relays nothing until resume(), keeping every connection open: the server behind looks stalled. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const s of this.sockets) s.resume();
  }

  /** Drops every connection and stops listening; open() again restores the same port. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
