/**
 * The web console in a real browser: headless Chromium (Debian's `chromium`, or CHROMIUM_PATH)
 * driven by puppeteer-core against a local cloud started here, as a user would use it: sign in,
 * see the dry-run plan (and an API error next to the field it names), deploy, watch the
 * timeline reach ready, scale, read the log, manage inference keys and the catalog, delete.
 * Each page is saved to test-results/console/*.png; UPDATE_DOCS_SCREENSHOTS=1 also copies them
 * to docs/console/ for docs/console.md.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

// What the functions evaluated in the page use of the DOM (the tests' tsconfig has no DOM lib).
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const location: { hash: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve('test-results/console');
const DOCS_SHOTS = resolve('docs/console');
const STEP_MS = 30_000;

let t: TestCloud;
let browser: Browser;
let page: Page;
const shots: string[] = [];
/** Uncaught script errors in the page; any fails the test it happened in. */
const pageErrors: string[] = [];

const shoot = async (name: string) => {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(name);
};

/** Waits until the page's text matches, naming what it waited for when it does not. */
const waitForText = async (selector: string, pattern: RegExp, what: string) => {
  try {
    await page.waitForFunction((s, source, flags) => new RegExp(source, flags).test(document.querySelector(s)?.textContent ?? ''), { timeout: STEP_MS, polling: 100 }, selector, pattern.source, pattern.flags);
  } catch {
    const text = await page.$eval(selector, (e) => e.textContent).catch(() => '(no such element)');
    throw new Error(`waited ${STEP_MS} ms for ${what}: ${selector} shows ${JSON.stringify(text?.slice(0, 400))}`);
  }
};

const typeInto = async (selector: string, text: string) => {
  await page.click(selector, { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  await mkdir(SHOTS, { recursive: true });
  t = await startTestCloud(0.02);
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 900 });
  page.on('pageerror', (error) => pageErrors.push(error instanceof Error ? error.message : String(error)));
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
    await mkdir(DOCS_SHOTS, { recursive: true });
    for (const name of shots) await copyFile(join(SHOTS, `${name}.png`), join(DOCS_SHOTS, `${name}.png`));
  }
});

describe('the web console, in Chromium', { timeout: 45_000 }, () => {
  let deploymentId = '';

  it('serves the app at / without a token and signs in through the local form', async () => {
    const index = await fetch(`${t.cloud.apiUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    await page.goto(`${t.cloud.apiUrl}/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#local-sign-in');
    await shoot('sign-in');
    await typeInto('#org_id', ORG);
    await typeInto('#project_ids', PROJECT);
    await page.select('#role', 'admin');
    await page.click('#local-sign-in');
    await waitForText('main', /No deployments in project prj-web/, 'the empty deployments list');
    expect(page.url()).toMatch(/#\/deployments$/);
  });

  it('shows the dry-run plan before deploying, and an API error next to the field it names', async () => {
    await page.click('nav a[href="#/deploy"]');
    await page.waitForSelector('#catalog_id option[value="Qwen-Qwen2.5-0.5B-Instruct"]');
    await page.select('#catalog_id', 'Qwen-Qwen2.5-0.5B-Instruct');
    await typeInto('#name', 'Not_A_Label');
    await page.click('button[type="submit"]');
    await waitForText('#name-error', /name must be a DNS-1123 label/, 'the name error under the name field');
    await shoot('deploy-error');

    await typeInto('#name', 'qwen-console');
    await page.click('button[type="submit"]');
    await waitForText('#plan', /fits/, 'the plan with its memory fit');
    const plan = await page.$eval('#plan', (e) => e.textContent ?? '');
    expect(plan).toMatch(/per minute/);
    expect(plan).toMatch(/to add in/);
    expect(await page.$('#name-error')).toBeNull();
    await shoot('deploy-plan');
    // Nothing started yet: the plan is a dry run.
    expect((await t.api('GET', BASE)).body.items).toHaveLength(0);

    await page.click('#deploy-now');
    await page.waitForFunction(() => /#\/deployments\/dep-/.test(location.hash), { timeout: STEP_MS });
    deploymentId = decodeURIComponent(page.url().split('#/deployments/')[1] ?? '');
    expect(deploymentId).toMatch(/^dep-/);
    // The nodes take seconds to boot even at this time scale: the timeline is caught in progress.
    await page.waitForSelector('section[data-status="initializing"] .timeline-segment.open', { timeout: STEP_MS });
    await page.waitForSelector('#events li', { timeout: STEP_MS });
    await shoot('deployment-starting');
  });

  it('draws the cold-start timeline until the deployment is ready, with its log', async () => {
    await page.waitForSelector('section[data-status="ready"]', { timeout: STEP_MS });
    await waitForText('.timeline-legend', /ready at/, 'the ready milestone in the timeline');
    const segments = await page.$$eval('.timeline-segment', (nodes) => nodes.length);
    expect(segments).toBeGreaterThanOrEqual(4);
    await waitForText('#log', /vLLM API server version/, 'the vLLM log tail');
    await waitForText('#events', /ready/, 'the ready event');
    await page.waitForSelector('.chart canvas');
    await shoot('deployment-ready');
  });

  it('scales to two replicas and shows both running', async () => {
    await typeInto('#scale-replicas', '2');
    await page.click('#ops-title ~ form button[type="submit"]');
    await waitForText('#replicas-summary', /2 running, 0 pending, 2 desired/, 'two running replicas');
    expect((await t.api('GET', `${BASE}/${deploymentId}`)).body.replicas).toBe(2);
    await waitForText('#usage-summary', /[1-9]\d* s serving/, 'serving time in the usage');
    await page.waitForSelector('section[data-phase="ready"]', { timeout: STEP_MS });
    await waitForText('#events', /scale requested/, 'the scale in the events');

    // The scale range and the idle timeout, saved through their forms.
    await typeInto('#min_replicas', '1');
    await typeInto('#max_replicas', '3');
    await page.click('#autoscaling-title ~ form button[type="submit"]');
    await waitForText('#autoscaling-title + p', /Range 1–3/, 'the saved scale range');
    await waitForText('#scale-decisions', /scale from 1 to 2 replicas/, 'the scale among the scale decisions');
    await typeInto('#idle_timeout_minutes', '30');
    await page.click('#schedule-title ~ form button[type="submit"]');
    await waitForText('#schedule-title ~ dl', /30 min/, 'the saved schedule');
    expect((await t.api('GET', `${BASE}/${deploymentId}/schedule`)).body).toMatchObject({ time_zone: 'UTC', idle_timeout_minutes: 30 });
    await shoot('deployment-scaled');

    await page.click('nav a[href="#/deployments"]');
    await waitForText('table.list tbody', /qwen-console/, 'the deployment in the list');
    await waitForText('table.list tbody', /2\/2/, 'two of two replicas in the list');
    await shoot('deployments');

    // Keyboard: from the top of the page, Tab reaches the skip button, then the navigation, in order.
    // (A reload starts focus at the top; the session is kept in sessionStorage.)
    await page.reload({ waitUntil: 'networkidle0' });
    await waitForText('table.list tbody', /qwen-console/, 'the list after a reload');
    const focused: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate('document.activeElement ? document.activeElement.textContent.trim() : ""') as string);
    }
    expect(focused).toEqual(['Skip to content', 'Deployments', 'Deploy', 'Inference keys', 'Catalog']);
    // And Enter follows a focused link.
    await page.keyboard.press('Enter');
    await page.waitForSelector('#catalog-title', { timeout: STEP_MS });
    await page.click('nav a[href="#/deployments"]');
  });

  it('creates an inference key, shows it once, and revokes it', async () => {
    await page.click('nav a[href="#/keys"]');
    await page.waitForSelector('#key-name');
    await typeInto('#key-name', 'console-e2e');
    await typeInto('#key-rpm', '60');
    await page.click('#keys-title ~ form button[type="submit"]');
    await page.waitForSelector('#new-key input', { timeout: STEP_MS });
    const secret = await page.$eval('#new-key input', (e) => (e as unknown as { value: string }).value);
    expect(secret).toMatch(/^sk-/);
    await waitForText('#keys', /console-e2e/, 'the key in the list');
    await shoot('keys-created');
    // The list never shows the secret.
    expect(await page.$eval('#keys', (e) => e.textContent ?? '')).not.toContain(secret);
    await page.click('button[aria-label="Revoke console-e2e"]');
    // A revoked key stays listed, with its state, and can no longer be revoked.
    await waitForText('#keys tr[data-key]', /revoked/, 'the key marked revoked');
    expect(await page.$('button[aria-label="Revoke console-e2e"]')).toBeNull();
    const [stored] = (await t.api('GET', `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/inference-keys`)).body.items;
    expect(stored).toMatchObject({ name: 'console-e2e', state: 'revoked', limits: { requests_per_minute: 60 } });
    await page.click('button[aria-expanded="false"]');
    await waitForText('#key-usage-total', /0 requests/, 'the key\'s usage');
    await shoot('keys');
  });

  it('lets an admin add a model to the catalog, update it and retire it', async () => {
    await page.click('nav a[href="#/catalog"]');
    await waitForText('#catalog', /Qwen-Qwen2.5-0.5B-Instruct/, 'the catalog');
    await page.click('#catalog-title ~ button');
    await typeInto('#cat-model_id', 'acme/tiny-chat-1b');
    await typeInto('#cat-parameters', '1.1');
    await typeInto('#cat-layers', '22');
    await typeInto('#cat-kv', '4');
    await typeInto('#cat-head-dim', '64');
    await typeInto('#cat-name', 'Tiny Chat 1B');
    await typeInto('#cat-vendor', 'Acme');
    await page.select('#cat-gpu', 'l4-24gb');
    // A default outside its range: the API's message lands under that field.
    await typeInto('#cat-len-default', '999999');
    await page.click('#catalog-form-title ~ .actions button[type="submit"]');
    await waitForText('#cat-len-default-error', /configurations\.max_model_len/, 'the range error under its field');
    await typeInto('#cat-len-default', '4096');
    await page.click('#catalog-form-title ~ .actions button[type="submit"]');
    await waitForText('#catalog', /acme-tiny-chat-1b/, 'the new model in the catalog');
    expect((await t.api('GET', '/api/v1beta1/aimodels-catalog')).body.items.map((m: { id: string }) => m.id)).toContain('acme-tiny-chat-1b');

    await page.click('button[aria-label="Edit acme-tiny-chat-1b"]');
    await typeInto('#cat-name', 'Tiny Chat 1B v2');
    await page.click('#catalog-form-title ~ .actions button[type="submit"]');
    await waitForText('#catalog', /Tiny Chat 1B v2/, 'the updated name');
    await page.click('button[aria-label="Retire acme-tiny-chat-1b"]');
    await waitForText('#catalog', /retired/, 'the model marked retired');
    await shoot('catalog');
    const offered = (await t.api('GET', '/api/v1beta1/aimodels-catalog')).body.items.map((m: { id: string }) => m.id);
    expect(offered).not.toContain('acme-tiny-chat-1b');
  });

  it('deletes the deployment after a confirmation', async () => {
    await page.goto(`${t.cloud.apiUrl}/#/deployments/${encodeURIComponent(deploymentId)}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('section[data-status="ready"]', { timeout: STEP_MS });
    const [deleteButton] = await page.$$('xpath/.//button[contains(., "Delete")]');
    await deleteButton!.click();
    await page.click('#confirm-delete');
    await waitForText('main', /The delete was accepted/, 'the delete confirmation');
    await waitFor(() => t.api('GET', `${BASE}/${deploymentId}`), (r) => r.status === 404, 'the deployment gone', STEP_MS);
    await page.click('nav a[href="#/deployments"]');
    await waitForText('main', /No deployments in project prj-web/, 'the empty list again');
  });

  it('signs out, and back in with a pasted token of a viewer, who sees the catalog page refused', async () => {
    await page.click('xpath/.//button[contains(., "Sign out")]');
    await page.waitForSelector('#token');
    await page.type('#token', await t.token({ role: 'viewer' }));
    await page.click('#paste-title ~ form button[type="submit"]');
    await waitForText('.topbar', /org-acme · viewer/, 'the viewer session');
    await page.click('nav a[href="#/catalog"]');
    await waitForText('main', /needs the admin role/, 'the admin-only notice');
  });
});
