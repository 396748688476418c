import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface ProxyOptions {
  /** True for the hosts the emulator answers; every other CONNECT is refused with 502. */
  readonly isEmulated: (host: string) => boolean;
  /** Certificate and key presented to the client after CONNECT (signed by the test CA). */
  readonly certificatePem: string;
  readonly keyPem: string;
  /** Serves one decrypted request for `host`. */
  readonly serve: (request: http.IncomingMessage, response: http.ServerResponse, host: string) => void;
  /** Called for every refused CONNECT or plain-HTTP proxy request, so tests can prove nothing left the machine. */
  readonly onRefused: (method: string, host: string) => void;
}

export interface RunningProxy {
  /** `http://127.0.0.1:<port>`, the value for HTTPS_PROXY. */
  readonly url: string;
  close(): Promise<void>;
}

const splitHostPort = (authority: string): [string, number] => {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(authority) ?? [authority, authority, '443'];
  return [match[1].toLowerCase(), Number(match[2] ?? 443)];
};

/**
 * An HTTP CONNECT proxy on 127.0.0.1 (never another interface). For an emulated host on port 443 it answers
 * `200 Connection Established`, terminates TLS itself with the test CA's leaf, and hands the decrypted stream
 * to an in-process HTTP server. Anything else (another host, another port, plain `GET http://...`
 * proxying) gets 502 and no outbound connection is ever opened.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const secureContext = tls.createSecureContext({ cert: options.certificatePem, key: options.keyPem });
  const hostOfSocket = new WeakMap<Duplex, string>();
  const sockets = new Set<Duplex>();
  const track = (socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const inner = http.createServer((request, response) => {
    options.serve(request, response, hostOfSocket.get(request.socket) ?? '');
  });
  inner.keepAliveTimeout = 30_000;

  const proxy = http.createServer((request, response) => {
    // Absolute-URI (non-CONNECT) proxying, i.e. plain http://: nothing the emulator serves.
    let host = '';
    try {
      host = new URL(request.url ?? '').hostname;
    } catch {
      host = request.headers.host ?? '';
    }
    options.onRefused(request.method ?? 'GET', host);
    response.writeHead(502, { 'content-type': 'text/plain', connection: 'close' }).end('azure-emulator: plain HTTP is not proxied\n');
  });

  proxy.on('connect', (request: http.IncomingMessage, clientSocket: Socket, head: Buffer) => {
    track(clientSocket);
    clientSocket.on('error', () => clientSocket.destroy());
    const [host, port] = splitHostPort(request.url ?? '');
    if (port !== 443 || !options.isEmulated(host)) {
      options.onRefused('CONNECT', `${host}:${port}`);
      const body = `azure-emulator: ${host}:${port} is not emulated\n`;
      clientSocket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) clientSocket.unshift(head);
    const tlsSocket = new tls.TLSSocket(clientSocket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    track(tlsSocket);
    hostOfSocket.set(tlsSocket, host);
    tlsSocket.on('error', () => tlsSocket.destroy());
    inner.emit('connection', tlsSocket);
  });

  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      inner.close();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
