/**
 * A TCP proxy on loopback: the same Copass emulator behind another URL, as a renamed host or a
 * corporate proxy would put it (the deliberate move of issue 15 §1). No vitest import.
 */
import * as net from "node:net";

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: another endpoint for the same server. */
  readonly url: string;
  close(): Promise<void>;
}

/** Forwards every connection to `127.0.0.1:<targetPort>`, bytes unchanged. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
