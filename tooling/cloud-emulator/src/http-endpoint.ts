import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One of the emulator's HTTP services, listening until stopped. */
export interface HttpEndpoint {
  /** `http://host:port`, with the port the system chose. */
  readonly url: string;
  /** Stops listening, dropping kept-alive connections so that it returns at once. */
  stop(): Promise<void>;
}

/** Serves `handler` on `host` at `port` (0: any free port). */
export async function serveHttp(handler: RequestListener, host: string, port = 0): Promise<HttpEndpoint> {
  // No idle timeout on kept-alive connections: a server closing one just as the client reuses it is a
  // "socket hang up" under load (Node's default closes after 5 s idle). `stop()` drops them all instead.
  const server = createServer(handler);
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { address, port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${bound}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
