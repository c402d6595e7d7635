/**
 * Page-number pagination as the contract defines it: newest first, no item twice, totals
 * from the project's counter, and counts that follow creates and deletes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01);
});
afterAll(async () => {
  await t?.close();
});

const deploy = (name: string) =>
  t.api('POST', BASE, {
    body: { name, catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' },
  });

describe('list pagination', () => {
  it('pages newest first with exact totals, and follows deletes', async () => {
    const ids: string[] = [];
    for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) {
      const created = await deploy(name);
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const listed = await t.api('GET', `${BASE}?page=${page}&limit=2`);
      expect(listed.status).toBe(200);
      expect(listed.body.pagination).toEqual({ total_items: 5, total_pages: 3, current_page: page, items_per_page: 2, next_cursor: page < 3 ? expect.any(String) : null });
      seen.push(...listed.body.items.map((i: { id: string }) => i.id));
    }
    expect(seen).toEqual([...ids].reverse());

    // The cursor extension walks the same pages, each read right after the previous page's last item.
    const byCursor: string[] = [];
    let cursor: string | null = null;
    for (const page of [1, 2, 3]) {
      const listed = await t.api('GET', `${BASE}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(listed.status).toBe(200);
      expect(listed.body.pagination).toMatchObject({ total_items: 5, total_pages: 3, current_page: page, items_per_page: 2 });
      byCursor.push(...listed.body.items.map((i: { id: string }) => i.id));
      cursor = listed.body.pagination.next_cursor;
      expect(cursor === null).toBe(page === 3);
    }
    expect(byCursor).toEqual(seen);
    const forged = await t.api('GET', `${BASE}?cursor=${Buffer.from('2:not-an-id').toString('base64url')}`);
    expect(forged.status).toBe(400);
    expect(forged.body.message).toMatch(/cursor/);
    const beyond = await t.api('GET', `${BASE}?page=4&limit=2`);
    expect(beyond.body.items).toEqual([]);
    expect(beyond.body.pagination.total_items).toBe(5);

    expect((await t.api('DELETE', `${BASE}/${ids[0]}`)).status).toBe(204);
    await waitFor(() => t.api('GET', `${BASE}/${ids[0]}`), (r) => r.status === 404, 'deleted');
    // finish-delete removes the record, then its name claim, then counts it out: three writes
    // (dynalite has no transactions), so the total may trail the 404 by one write.
    const after = await waitFor(() => t.api('GET', `${BASE}?limit=100`), (r) => r.body.pagination.total_items !== 5, 'counted out');
    expect(after.body.pagination.total_items).toBe(4);
    expect(after.body.items.map((i: { id: string }) => i.id)).toEqual(ids.slice(1).reverse());
  });
});
