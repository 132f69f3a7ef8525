import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../src/index.js';

/**
 * A server that answers the first request on each connection and drops the connection on the next one, as a
 * server closing an idle kept-alive connection just as the client reuses it.
 */
async function droppingServer(): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const socket = req.socket as typeof req.socket & { served?: boolean };
    if (socket.served) {
      socket.destroy();
      return;
    }
    socket.served = true;
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/v1/version' ? '{"flocker":"1.0.0"}' : '{}');
  });
  // Node's server closes a connection idle for keepAliveTimeout (5 s by default): on a loaded machine a pause
  // that long between two requests gives the second a new connection, and the drop under test never happens.
  // 0 keeps idle connections open, so only the handler above decides when a connection drops.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests: () => requests };
}

describe('ControlClient on a kept-alive connection the server drops', () => {
  let server: Server | undefined;
  let client: ControlClient | undefined;
  afterEach(async () => {
    client?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('sends a GET once more on a new connection, and gets its answer', async () => {
    const dropping = await droppingServer();
    server = dropping.server;
    client = new ControlClient({ url: dropping.url });
    expect(await client.version()).toBe('1.0.0');
    expect(await client.version()).toBe('1.0.0');
    // The second GET met the dropped connection and was sent again.
    expect(dropping.requests()).toBe(3);
  });

  it('does not send a POST twice: the caller hears the connection was lost', async () => {
    const dropping = await droppingServer();
    server = dropping.server;
    client = new ControlClient({ url: dropping.url });
    expect(await client.version()).toBe('1.0.0');
    await expect(
      client.acquireLease({ dataset_id: randomUUID(), node_uuid: randomUUID(), expires: 60 }),
    ).rejects.toMatchObject({
      code: 'CONTROL_UNREACHABLE',
    });
    expect(dropping.requests()).toBe(2);
  });
});
