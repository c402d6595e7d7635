/**
 * One port, two protocols: the first byte of each connection decides whether it is TLS
 * (0x16, handshake) or plain HTTP. AWS SDK clients use the plain URL; Kubernetes clients use
 * the HTTPS URL with the CA from DescribeCluster, or the plain URL with skipTLSVerify.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { listen as bind } from '../../http/serve.js';
import { handleAutoScaling } from '../aws/autoscaling.js';
import { handleControl } from './control.js';
import { handleEks, isEksPath, type ClusterEndpoint } from '../aws/eks.js';
import { jsonResponse, readBody, type SimRequest, type SimResponse } from '../http.js';
import { handleKubernetes, isKubernetesPath } from '../apiserver/router.js';
import type { TlsMaterial } from '../tls.js';
import type { World } from '../runtime/world.js';

const TLS_HANDSHAKE = 0x16;

export interface ListeningServer {
  port: number;
  close(): Promise<void>;
}

const route = (world: World, req: SimRequest, cluster: ClusterEndpoint): SimResponse => {
  const path = req.url.pathname;
  if (path === '/_sim' || path.startsWith('/_sim/')) return handleControl(world, req);
  if (isEksPath(path)) return handleEks(world, req, cluster);
  if (isKubernetesPath(path)) return handleKubernetes(world, req);
  if (path === '/' && req.method === 'POST') return handleAutoScaling(world, req);
  return jsonResponse(404, { message: `the simulator does not serve ${req.method} ${path}` });
};

/** Chunked transfer, flushed per write, ended by the producer or by the client disconnecting. */
const startStream = (res: http.ServerResponse, response: SimResponse): void => {
  const listeners: (() => void)[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const listener of listeners.splice(0)) listener();
  };
  res.on('close', close);
  res.writeHead(response.status, { ...response.headers, 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  response.stream?.({
    write: (chunk) => {
      if (!closed) res.write(chunk);
    },
    end: () => {
      if (!closed) res.end();
      close();
    },
    onClose: (listener) => {
      if (closed) listener();
      else listeners.push(listener);
    },
    get closed() {
      return closed;
    },
  });
};

/**
 * A JS-only view of a socket, so the TLS layer reads the bytes we already peeked at
 * (TLSSocket would otherwise read the raw handle and miss them).
 */
const jsStream = (socket: net.Socket, first: Buffer): Duplex => {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('error', (error) => duplex.destroy(error));
  socket.on('close', () => duplex.destroy());
  return duplex;
};

/**
 * Runs before the EKS and Auto Scaling handlers (not the Kubernetes API, not /_sim): answers
 * instead of them when IAM denies the caller or a fault is injected (local/iam/sim-gate.ts).
 */
export type AwsGate = (world: World, req: SimRequest) => SimResponse | undefined;

export const listen = async (
  world: World,
  options: { host: string; port: number; tls: TlsMaterial; cluster: () => ClusterEndpoint; awsGate?: AwsGate },
): Promise<ListeningServer> => {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void (async () => {
      let response: SimResponse;
      try {
        const body = await readBody(req);
        const url = new URL(req.url ?? '/', `http://${req.headers.host ?? options.host}`);
        const request: SimRequest = { method: req.method ?? 'GET', url, headers: req.headers, body };
        const isAws = isEksPath(url.pathname) || (url.pathname === '/' && request.method === 'POST');
        response = (isAws ? options.awsGate?.(world, request) : undefined) ?? route(world, request, options.cluster());
      } catch (error) {
        process.stderr.write(`[simulator] ${req.method ?? ''} ${req.url ?? ''} failed: ${(error as Error).stack ?? String(error)}\n`);
        response = jsonResponse(500, { message: `simulator error: ${(error as Error).message}` });
      }
      if (response.dropAfterMs !== undefined) {
        setTimeout(() => req.socket.destroy(), response.dropAfterMs).unref();
        return;
      }
      if (response.respond) {
        response.respond(res);
        return;
      }
      if (response.stream) {
        startStream(res, response);
        return;
      }
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    })();
  };
  const plain = http.createServer(handler);
  const secure = https.createServer({ key: options.tls.serverKeyPem, cert: options.tls.serverCertPem }, handler);
  const sockets = new Set<net.Socket>();

  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first[0] === TLS_HANDSHAKE) {
        secure.emit('connection', jsStream(socket, first));
      } else {
        socket.unshift(first);
        plain.emit('connection', socket);
      }
      socket.resume();
    });
  });

  const port = await bind(front, options.host, options.port);

  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      plain.closeAllConnections();
      secure.closeAllConnections();
      await closed;
    },
  };
};
