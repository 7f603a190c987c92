import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy a test can cut, to make a real database unreachable mid-test. */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private constructor(
    private server: Server,
    readonly port: number,
  ) {}

  /** `listenPort`: a port of one's own choosing (default: any free one). */
  static async start(targetHost: string, targetPort: number, listenPort = 0): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = createConnection(targetPort, targetHost);
      sockets.add(client);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => server.listen(listenPort, '127.0.0.1', () => r()));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    for (const s of sockets) proxy.sockets.add(s);
    (proxy as unknown as { track: Set<Socket> }).track = sockets;
    return proxy;
  }

  /** Stops accepting and drops every open connection: the database is now unreachable. */
  async cut(): Promise<void> {
    const track = (this as unknown as { track: Set<Socket> }).track;
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of track) s.destroy();
    });
  }
}
