// The live dashboard in a real browser (Debian's chromium driven by playwright-core) against a manager
// in this process and a virtual fleet on loopback: it asks for the token, shows a campaign's devices
// moving without a reload, approves the gated wave and sees the campaign complete. Also the event
// stream's own rules: token required (header or ?token=), listeners removed when a client leaves.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureDashboard } from '../../src/interfaces/dashboard/bundle.ts';
import type { CampaignRecord } from '../../src/manager/store/campaigns.ts';
import type { RunRecord } from '../../src/manager/store/records.ts';
import { startCampaignWorld, type CampaignWorld } from '../helpers/campaign-world.ts';

const chromiumPath = '/usr/bin/chromium';
const noChromium = existsSync(chromiumPath) ? false : `${chromiumPath} is not installed (apt-get install chromium)`;
const outputDir = join(import.meta.dirname, '..', '..', 'test-output');
const quickPolicy = {
  upgrade: { retries: 0, then: 'abort' },
  backup: { retries: 0, then: 'abort' },
  restore: { retries: 0, then: 'abort' },
  migrate: { retries: 0, then: 'abort' },
};

let world: CampaignWorld;
let token: string;

before(async () => {
  await ensureDashboard();
  world = await startCampaignWorld({ devices: 4, rebootMs: 800 });
  token = readFileSync(world.manager.operatorTokenFile, 'utf8').trim();
});

after(async () => {
  await world?.stop();
});

/** Reads an SSE stream until `until` matches what arrived, or the time runs out. */
async function readEvents(response: Response, until: (text: string) => boolean, ms = 10_000): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (!until(text) && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), sleep(Math.max(1, deadline - Date.now())).then(() => undefined)]);
    if (!chunk || chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}

test('the event stream needs a token, takes it in the query, and forgets a client that left', { timeout: 30_000 }, async () => {
  const refused = await fetch(`${world.manager.url}/api/events`);
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  const wrong = await fetch(`${world.manager.url}/api/events?token=not-a-token`);
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();

  const listening = world.manager.live.listenerCount('campaignChanged');
  const aborter = new AbortController();
  const stream = await fetch(`${world.manager.url}/api/events?token=${encodeURIComponent(token)}`, { signal: aborter.signal });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = stream.body!.getReader();
  let text = '';
  while (!text.includes('event: hello')) text += new TextDecoder().decode((await reader.read()).value);
  assert.equal(world.manager.live.listenerCount('campaignChanged'), listening + 1, 'the open stream listens');

  world.manager.live.emit('deviceChanged', { deviceId: 4242 });
  while (!text.includes('"deviceId":4242')) text += new TextDecoder().decode((await reader.read()).value);
  assert.match(text, /event: deviceChanged\ndata: \{"deviceId":4242\}\n\n/);

  aborter.abort();
  for (let i = 0; i < 50 && world.manager.live.listenerCount('campaignChanged') > listening; i++) await sleep(100);
  assert.equal(world.manager.live.listenerCount('campaignChanged'), listening, 'listeners removed when the client left');

  // The same with the header, as API clients send it.
  const withHeader = await fetch(`${world.manager.url}/api/events`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(withHeader.status, 200);
  assert.match(await readEvents(withHeader, (t) => t.includes('event: hello')), /event: hello/);
});

async function openBrowser(): Promise<{ context: BrowserContext; profile: string }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'sf-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { context, profile };
}

/** Rows of the campaign page's device table by state. */
async function rowStates(page: Page): Promise<string[]> {
  return page.locator('[data-testid=campaign-devices] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-state') ?? ''));
}

/** Waits, through the API, until the run is as `done` says. */
async function waitForRun(runId: string, done: (run: RunRecord) => boolean, what: string): Promise<void> {
  for (let waited = 0; !done((await world.api<{ run: RunRecord }>('GET', `/api/runs/${runId}`)).json.run); waited++) {
    assert.ok(waited < 600, `run ${runId}: ${what}`);
    await sleep(100);
  }
}

/** A page in a fresh browser for `body`; a screenshot and the page's errors when it fails. */
async function inBrowser(body: (page: Page) => Promise<void>): Promise<void> {
  const { context, profile } = await openBrowser();
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  try {
    await body(page);
    assert.deepEqual(problems, [], 'no script errors in the page');
  } catch (error) {
    await page.screenshot({ path: join(outputDir, 'dashboard-failure.png'), fullPage: true }).catch(() => {});
    throw new Error(`${(error as Error).message}\npage errors: ${problems.join(' | ') || 'none'}`, { cause: error });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

test('the dashboard follows a campaign live, an operator approves the next wave, it completes', { skip: noChromium, timeout: 120_000 }, async () => {
  const image = await world.image('2.0.0');
  const { context, profile } = await openBrowser();
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  try {
    await page.goto(`${world.manager.url}/`);
    // No token yet: the API refuses the page, which asks for one.
    await page.getByTestId('token').fill(token);
    await page.getByTestId('token-submit').click();
    await page.locator('[data-testid=devices] tbody tr').nth(3).waitFor();
    await page.locator('[data-testid=live-status].live').waitFor();
    // The refusals that made it ask for the token were expected; from here on nothing may fail.
    problems.length = 0;
    // A mark in the page's memory: still there at the end means the page never reloaded.
    await page.evaluate(() => ((window as unknown as { mark: number }).mark = 42));

    const created = await world.api<CampaignRecord>('POST', '/api/campaigns', {
      name: 'gated rollout',
      image,
      devices: world.names,
      waves: '2,4',
      approval: true,
      maxConcurrent: 2,
      policy: quickPolicy,
      operator: 'tester',
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const campaign = created.json;

    // The campaign appears in the list without a reload; open it by the link, as an operator would.
    await page.getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'gated rollout' }).click();
    await page.locator('[data-testid=campaign-devices] tbody tr').nth(3).waitFor();

    // Wave 1 moves on screen: its devices are seen running, then verified, while wave 2 waits.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid=campaign-devices] tr[data-state=running], [data-testid=campaign-devices] tr[data-state=verified]').length > 0,
      null,
      { timeout: 60_000 },
    );
    await page.getByTestId('approval-banner').waitFor({ timeout: 60_000 });
    const gated = await rowStates(page);
    assert.equal(gated.filter((s) => s === 'verified').length, 2, `wave 1 verified on screen: ${gated.join(',')}`);
    assert.equal(gated.filter((s) => s === 'pending').length, 2, `wave 2 waits: ${gated.join(',')}`);
    await page.screenshot({ path: join(outputDir, 'dashboard-approval.png'), fullPage: true });

    await page.getByTestId('approve').click();
    await page.getByTestId('confirm').click();
    await page.locator('h1 [data-state=completed]').waitFor({ timeout: 60_000 });
    const finished = await rowStates(page);
    assert.deepEqual(finished, ['verified', 'verified', 'verified', 'verified'], 'every device verified on screen');
    assert.equal(await page.evaluate(() => (window as unknown as { mark?: number }).mark), 42, 'the page was never reloaded');
    const detail = await world.detail(campaign.id);
    assert.equal(detail.campaign.state, 'completed');
    assert.ok(
      detail.events.some((e) => e.kind === 'approved' && e.actor === 'operator:api'),
      'the approval came from the page',
    );
    await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });

    // A run's timeline, reached from its row; then the fleet, now on the new version.
    await page.locator('[data-testid=campaign-devices] tbody tr a.mono').first().click();
    await page.locator('[data-testid=timeline] tbody tr').nth(5).waitFor();
    assert.ok((await page.locator('[data-testid=timeline]').textContent())!.includes('run ended'));
    await page.screenshot({ path: join(outputDir, 'dashboard-run.png'), fullPage: true });
    await page.getByRole('navigation').getByRole('link', { name: 'Fleet' }).click();
    await page.locator('.bar-name', { hasText: '2.0.0' }).waitFor();
    await page.screenshot({ path: join(outputDir, 'dashboard-fleet.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script errors in the page');
  } catch (error) {
    // What the page showed when it went wrong, and what it complained of.
    await page.screenshot({ path: join(outputDir, 'dashboard-failure.png'), fullPage: true }).catch(() => {});
    throw new Error(`${(error as Error).message}\npage errors: ${problems.join(' | ') || 'none'}`, { cause: error });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('an operator cancels a run from its page: it stops at its next safe point and the page says who cancelled it', {
  skip: noChromium,
  timeout: 120_000,
}, async () => {
  const image = await world.image('3.0.0');
  world.fleet.members[0]!.device.setFaults({ failDownloads: { count: 1, cause: 'fileNotFound' } });
  const started = await world.api<RunRecord>('POST', '/api/runs', {
    device: world.names[0],
    image,
    policy: { upgrade: { retries: 0, then: 'ask' } },
    operator: 'tester',
  });
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const runId = started.json.id;
  await waitForRun(runId, (run) => run.state === 'waiting', 'the run never asked');
  await inBrowser(async (page) => {
    await page.goto(`${world.manager.url}/runs/${runId}`);
    await page.getByTestId('token').fill(token);
    await page.getByTestId('token-submit').click();
    await page.locator('h1 [data-state=waiting]').waitFor();
    assert.match((await page.getByTestId('run-image').textContent()) ?? '', /3\.0\.0/);
    await page.getByTestId('cancel-run').click();
    await page.getByTestId('confirm').click();
    await page.locator('h1 [data-state=rolledBack]').waitFor({ timeout: 60_000 });
    assert.match((await page.locator('.banner').first().textContent()) ?? '', /cancelled by api during upgrade/);
    assert.ok((await page.locator('[data-testid=timeline]').textContent())!.includes('cancel requested'));
    await page.screenshot({ path: join(outputDir, 'dashboard-cancelled-run.png'), fullPage: true });
  });
});

test("an operator activates staged devices from the fleet page and opens a run's configuration diff", { skip: noChromium, timeout: 120_000 }, async () => {
  // Software that reads configuration format 2: each run migrates, so the diff has something to show.
  const image = await world.image('4.0.0', undefined, undefined, 2);
  const staged: string[] = [];
  for (const name of world.names.slice(1, 3)) {
    const started = await world.api<RunRecord>('POST', '/api/runs', { device: name, image, stage: true, policy: quickPolicy, operator: 'tester' });
    assert.equal(started.status, 201, JSON.stringify(started.json));
    staged.push(started.json.id);
  }
  for (const runId of staged) await waitForRun(runId, (run) => run.state === 'staged', 'never staged');
  await inBrowser(async (page) => {
    await page.goto(`${world.manager.url}/`);
    await page.getByTestId('token').fill(token);
    await page.getByTestId('token-submit').click();
    await page.locator('[data-testid=staged] tbody tr').nth(1).waitFor();
    await page.screenshot({ path: join(outputDir, 'dashboard-staged.png'), fullPage: true });
    await page.getByTestId('activate-all').click();
    await page.getByTestId('confirm').click();
    await page.locator('[data-testid=staged]').waitFor({ state: 'detached', timeout: 30_000 });
    for (const runId of staged) {
      await waitForRun(runId, (run) => run.outcome !== null, 'never ended');
      const { json } = await world.api<{ run: RunRecord; timeline: Array<{ kind: string; actor: string }> }>('GET', `/api/runs/${runId}`);
      assert.equal(json.run.state, 'verified', json.run.outcome?.summary);
      assert.ok(
        json.timeline.some((e) => e.kind === 'decision' && e.actor === 'operator:api'),
        'activated from the page',
      );
    }
    for (const n of [2, 3]) assert.equal((await world.read(n)).runningVersion, '4.0.0');

    await page.goto(`${world.manager.url}/runs/${staged[0]}`);
    await page.locator('h1 [data-state=verified]').waitFor();
    const checks = (await page.getByTestId('checks').textContent()) ?? '';
    assert.match(checks, /Before changes.*Before activation.*After upgrade/);
    assert.match(checks, /ports/);
    await page.getByTestId('open-config-diff').click();
    const diff = page.getByTestId('config-diff');
    await diff.waitFor();
    assert.match((await diff.textContent()) ?? '', /original backup → restored/);
    assert.ok((await diff.locator('.diff-added').count()) > 0, 'the migration added lines');
    assert.ok((await diff.locator('.diff-removed').count()) > 0, 'the migration removed lines');
    await page.screenshot({ path: join(outputDir, 'dashboard-config-diff.png'), fullPage: true });
  });
});

mkdirSync(outputDir, { recursive: true });
