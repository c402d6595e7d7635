/**
 * Listen and close for the local cloud's HTTP servers (DynamoDB, Secrets Manager, Step Functions,
 * the API gateway, the simulator): one way to bind, to name the URL and to shut down.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

export interface Serving {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The request handler of a new server; or pass `server`, one made elsewhere (dynalite's, or one with its own options). */
  handler?: RequestListener;
  server?: Server;
  /**
   * How close treats requests still open: undefined waits for them, 0 cuts them at once, N
   * lets them finish for N ms and then cuts them. Idle keep-alive connections close at once.
   */
  closeGraceMs?: number;
}

/** Binds `server` and resolves its port; a bind error (port in use) rejects. */
export const listen = (server: NetServer, host: string, port = 0): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

/** `http://host:port`, an IPv6 literal in brackets. */
export const urlOf = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

export const closeServer = (server: Server, graceMs?: number): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const cut = graceMs === undefined ? undefined : setTimeout(() => server.closeAllConnections(), graceMs).unref();
    server.close((error) => {
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
    if (graceMs === 0) server.closeAllConnections();
  });

export const serve = async (options: ServeOptions): Promise<Serving> => {
  const server = options.server ?? createServer(options.handler);
  const port = await listen(server, options.host, options.port);
  let closed: Promise<void> | undefined;
  return {
    url: urlOf(options.host, port),
    port,
    close: () => (closed ??= closeServer(server, options.closeGraceMs)),
  };
};
