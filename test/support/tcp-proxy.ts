import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy a test can cut, to make a real database unreachable mid-test, and restore. */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  /** Each connection's upstream side (to the target), by its client side. */
  private readonly upstreams = new Map<Socket, Socket>();
  private server: Server;
  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    readonly port: number,
  ) {
    this.server = this.listen();
  }

  /** `listenPort`: a port of one's own choosing (default: any free one). */
  static async start(targetHost: string, targetPort: number, listenPort = 0): Promise<TcpProxy> {
    let port = listenPort;
    if (!port) {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
      port = (probe.address() as AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
    }
    const proxy = new TcpProxy(targetHost, targetPort, port);
    await proxy.listening();
    return proxy;
  }

  private listen(): Server {
    return createServer((client) => {
      const upstream = createConnection(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      this.upstreams.set(client, upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
        this.upstreams.delete(client);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }

  private listening(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting and drops every open connection: the database is now unreachable. */
  async cut(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of this.sockets) s.destroy();
    });
  }

  /**
   * Stops carrying anything either way, every connection left open: a network partition, as neither end sees it (no
   * close, no reset; the kernel still answers keepalive probes).
   */
  freeze(): void {
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }

  /**
   * Stops carrying the target's answers, every connection left open, while what clients send still reaches it: a
   * statement sent now is carried out (and committed), and its client never hears so.
   */
  freezeAnswers(): void {
    for (const [client, upstream] of this.upstreams) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  /**
   * Accepts connections again, on the same port: the database is back. While it was cut, the port was free, and on a
   * busy machine the kernel may have given it meanwhile to an outgoing connection as its own end (EADDRINUSE once in
   * a loaded run): tried again until that connection is gone, for up to 10 s.
   */
  async restore(): Promise<void> {
    for (const until = Date.now() + 10_000; ; ) {
      this.server = this.listen();
      try {
        await this.listening();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}
