/**
 * Figure 5: how the list endpoint scales with the number of deployments in a project. Projects
 * of 10, 1,000 and 10,000 deployments (copies of a real deploy's item, written in batches);
 * page 1 and the last page at limit 100, timed through the API, and the DynamoDB items each
 * request reads, counted by a middleware on the handlers' own DynamoDB client (ScannedCount of
 * every Query, 1 per GetItem). Baseline: one Query of 100 items from a cursor
 * (ExclusiveStartKey), the cost of cursor pagination, against the same dynalite.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ORG, TABLE_NAME, deploymentsPath, startBenchCloud } from './harness';
import { fmt, median, metWhen, ratioOf, table, type FigureResult, type Row } from './results';
import { cloneDeployments, counterItem, documentClientFor, readyDeploymentItem, writeItems } from './seed';
import { encodeListCursor } from '../../contract/requests/queries';

const SIZES = [10, 1_000, 10_000] as const;
const LIMIT = 100;
const FLAT_FACTOR = 1.5;

interface Counters {
  calls: number;
  itemsRead: number;
  capacity: number;
}

/** Counts what every DynamoDB call of the handlers reads (the middleware sits on their shared client). */
const instrumentHandlersClient = async (): Promise<Counters> => {
  const { documentClient } = await import('../../functions/adapters/dynamodb');
  const counters: Counters = { calls: 0, itemsRead: 0, capacity: 0 };
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const output = result.output as { ScannedCount?: number; Item?: unknown; ConsumedCapacity?: { CapacityUnits?: number } };
      counters.calls += 1;
      counters.itemsRead += output.ScannedCount ?? (output.Item ? 1 : 0);
      counters.capacity += output.ConsumedCapacity?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'benchReadCounter' },
  );
  return counters;
};

export const measure = async (): Promise<FigureResult> => {
  const started = performance.now();
  const cloud = await startBenchCloud({ timeScale: 0.01 });
  const doc = documentClientFor(cloud.dynamoUrl);
  try {
    const template = await readyDeploymentItem(cloud, 'prj-template');
    const counters = await instrumentHandlersClient();
    const seedSeconds: Record<number, number> = {};
    const idsNewestFirst = new Map<number, string[]>();
    for (const n of SIZES) {
      const t0 = performance.now();
      const clones = cloneDeployments(template, `prj-n${n}`, n);
      await writeItems(cloud.dynamoUrl, [...clones.flatMap((c) => c.items), counterItem(`prj-n${n}`, n)]);
      seedSeconds[n] = (performance.now() - t0) / 1000;
      idsNewestFirst.set(n, clones.map((c) => c.id).reverse());
    }

    interface Measured {
      n: number;
      page: number;
      /** Read through the list cursor extension (`cursor=`) rather than the page number. */
      viaCursor: boolean;
      ms: number;
      items: number;
      calls: number;
      capacity: number;
      returned: number;
      baseMs: number;
      baseItems: number;
    }
    const measured: Measured[] = [];
    for (const n of SIZES) {
      const project = `prj-n${n}`;
      const lastPage = Math.ceil(n / LIMIT);
      const ids = idsNewestFirst.get(n)!;
      const variants: [number, boolean][] = [...new Set([1, lastPage])].flatMap((page): [number, boolean][] => (page > 1 ? [[page, false], [page, true]] : [[page, false]]));
      for (const [page, viaCursor] of variants) {
        const runs = n >= 10_000 ? 5 : 10;
        const cursor = viaCursor ? encodeListCursor(page, ids[(page - 1) * LIMIT - 1]!) : undefined;
        const path = `${deploymentsPath(project)}?limit=${LIMIT}&${cursor ? `cursor=${cursor}` : `page=${page}`}`;
        await cloud.api('GET', path); // warm (the first call imports the handler)
        const times: number[] = [];
        let reads: Counters = { calls: 0, itemsRead: 0, capacity: 0 };
        let returned = 0;
        for (let i = 0; i < runs; i++) {
          const before = { ...counters };
          const t0 = performance.now();
          const { status, body } = await cloud.api('GET', path);
          times.push(performance.now() - t0);
          if (status !== 200) throw new Error(`${path} answered ${status}`);
          returned = body.items.length;
          if (body.pagination.total_items !== n) throw new Error(`${project} lists ${body.pagination.total_items} deployments, expected ${n}`);
          reads = { calls: counters.calls - before.calls, itemsRead: counters.itemsRead - before.itemsRead, capacity: counters.capacity - before.capacity };
        }
        if (reads.calls === 0) throw new Error('the read counter saw no DynamoDB call: the handlers use another client instance');
        // Baseline: the same page by cursor, one Query.
        const startAfter = page > 1 ? ids[(page - 1) * LIMIT - 1] : undefined;
        const pk = `TENANT#${ORG}#${project}`;
        const baseTimes: number[] = [];
        let baseItems = 0;
        for (let i = 0; i < runs + 1; i++) {
          const t0 = performance.now();
          const result = await doc.send(
            new QueryCommand({
              TableName: TABLE_NAME,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
              ExpressionAttributeValues: { ':pk': pk, ':dep': 'DEP#' },
              ScanIndexForward: false,
              Limit: LIMIT,
              ...(startAfter ? { ExclusiveStartKey: { pk, sk: `DEP#${startAfter}` } } : {}),
            }),
          );
          if (i > 0) baseTimes.push(performance.now() - t0);
          baseItems = result.ScannedCount ?? 0;
          if ((result.Items?.length ?? 0) !== returned) throw new Error(`cursor query of ${project} page ${page} returned ${result.Items?.length}, the API ${returned}`);
        }
        measured.push({ n, page, viaCursor, ms: median(times), items: reads.itemsRead, calls: reads.calls, capacity: reads.capacity, returned, baseMs: median(baseTimes), baseItems });
      }
    }

    // Latency is compared between pages of the same size: page 1 of the smallest project with a full page.
    const reference = measured.find((m) => m.page === 1 && m.returned === LIMIT) ?? measured[0]!;
    const rows: Row[] = measured.map((m) => {
      const flatLatency = m.returned < LIMIT || m.ms <= FLAT_FACTOR * reference.ms;
      const flatReads = m.items <= LIMIT + 1;
      return {
        measure: `n = ${m.n.toLocaleString('en-US')}, page ${m.page}${m.viaCursor ? ' by cursor (extension)' : ''}: latency; items read per request`,
        value: `${fmt(m.ms, 0)} ms; ${m.items.toLocaleString('en-US')} items (${m.calls} calls)`,
        baseline: `${fmt(m.baseMs, 0)} ms; ${m.baseItems} items (1 call)`,
        ratio: `${fmt(ratioOf(m.ms, m.baseMs), 1)} / ${fmt(ratioOf(m.items, m.baseItems), 1)}`,
        goal: `flat: <= ${LIMIT + 1} items, <= ${FLAT_FACTOR} x the latency of page 1 at n = ${reference.n.toLocaleString('en-US')}`,
        met: metWhen(flatLatency && flatReads),
      };
    });
    const largest = SIZES.at(-1)!;
    const firstPages = measured.filter((m) => m.page === 1);
    const deepPages = measured.filter((m) => m.page > 1 && !m.viaCursor);
    const cursorPages = measured.filter((m) => m.viaCursor);
    const describe = (list: Measured[]) => list.map((m) => `${m.items.toLocaleString('en-US')} at n = ${m.n.toLocaleString('en-US')}`).join(', ');
    const findings: string[] = [];
    const firstFlat = firstPages.every((m) => m.items <= LIMIT + 1 + 1);
    findings.push(
      firstFlat
        ? `Page 1 is flat: ${describe(firstPages)} items read (the page plus the project's deployment counter, which gives total_items in one read).`
        : `Page 1 is not flat: ${describe(firstPages)} items read; total_items is counted from the records.`,
    );
    if (deepPages.some((m) => m.items > LIMIT + 2)) {
      findings.push(
        `Deep pages are not flat: the last page reads ${describe(deepPages)} items to return ${LIMIT}, because listDeployments (functions/adapters/deployment-list.ts) skips the offset (page - 1) x limit with Select COUNT queries, ` +
          'and COUNT still reads (and bills) every skipped item; it only saves the transfer. Page-number pagination cannot be flat on DynamoDB.',
      );
    }
    if (cursorPages.length > 0) {
      findings.push(
        `The same deep pages through the cursor extension (\`cursor=\` from the previous page's \`pagination.next_cursor\`, an ExclusiveStartKey underneath) read ${describe(cursorPages)} items: ` +
          (cursorPages.every((m) => m.items <= LIMIT + 1) ? 'flat, as the baseline.' : 'not flat, which is a bug.'),
      );
    }
    findings.push(`Latency follows the items read: ${measured.map((m) => `${fmt(m.ms, 0)} ms for page ${m.page} at n = ${m.n.toLocaleString('en-US')}`).join(', ')} (n = ${largest.toLocaleString('en-US')} is the largest project).`);
    return {
      id: 'scale',
      title: 'List latency and reads vs deployments per project',
      method: [
        `Projects of ${SIZES.map((n) => n.toLocaleString('en-US')).join(', ')} ready deployments: copies of the item a real deploy wrote, each with its name claim, written with BatchWriteItem (${SIZES.map((n) => `${n.toLocaleString('en-US')}: ${fmt(seedSeconds[n], 1)} s`).join(', ')}).`,
        `GET …/aimodels?limit=${LIMIT}&page=1 and the last page, sequentially through the API; median of 10 requests (5 at 10,000) after one warm-up. Items read: ScannedCount of every Query plus 1 per GetItem, from a middleware on the handlers' DynamoDB client.`,
        `Baseline: the same page as one Query with ScanIndexForward false, Limit ${LIMIT} and the previous page's last key as ExclusiveStartKey (cursor pagination), through the SDK against the same dynalite.`,
      ],
      rows,
      details: table(
        ['deployments', 'page', 'latency ms', 'DynamoDB calls', 'items read', 'consumed RCU', 'items returned', 'baseline ms', 'baseline items read'],
        measured.map((m) => [m.n.toLocaleString('en-US'), String(m.page), fmt(m.ms, 1), String(m.calls), m.items.toLocaleString('en-US'), fmt(m.capacity, 1), String(m.returned), fmt(m.baseMs, 1), String(m.baseItems)]),
      ),
      findings,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    doc.destroy();
    await cloud.close();
  }
};
