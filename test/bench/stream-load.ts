/**
 * The load of the gateway figure's throughput rounds, in a process of its own so that the
 * client's parsing does not share the event loop of the gateway and the simulated model server:
 *   node --import tsx test/bench/stream-load.ts '<json: {host, port, path, headers, localAddress?, body, streams}>'
 * Prints `{"tokens": n, "seconds": s}`: content chunks received by all streams, and the wall time.
 */
import http from 'node:http';

interface LoadSpec {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  localAddress?: string;
  body: string;
  streams: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
if (!/^127\.0\.0\.1$/.test(spec.host)) throw new Error(`load goes to 127.0.0.1 only, not ${spec.host}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const CONTENT = /"delta":\{"content":"[^"]/g;

const one = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const request = http.request({
      agent,
      host: spec.host,
      port: spec.port,
      ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
      method: 'POST',
      path: spec.path,
      headers: { ...spec.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}`));
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve((text.match(CONTENT) ?? []).length));
      response.on('error', reject);
    });
    request.end(spec.body);
  });

const started = performance.now();
const counts = await Promise.all(Array.from({ length: spec.streams }, one));
process.stdout.write(`${JSON.stringify({ tokens: counts.reduce((a, b) => a + b, 0), seconds: (performance.now() - started) / 1000 })}\n`);
agent.destroy();
