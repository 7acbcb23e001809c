// The chat page (src/web) in headless Chromium against a real broker: two pages chat in one room,
// a plain PUBLISH from ioredis shows up as a message from "redis" (as text, never as HTML), the
// monitor tab sees traffic from several rooms, and after the broker restarts on the same ports the
// page reconnects and its subscription resumes. Leaves a screenshot in test-artifacts/chat.png.
//
// Uses the system's Debian chromium (/usr/bin/chromium) through playwright-core: no browser
// download. Missing chromium fails the file when CI=true and skips it loudly otherwise.
//
// Invariants: every wait is bounded (playwright timeouts, withTimeout); the browser and the broker
// are closed in afterAll; the tests run in order and share one broker and one browser.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { findFreePort, requireTool } from '../helpers/redis-server.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const HOST = '127.0.0.1';
const WAIT_TIMEOUT_MS = 15_000;
const ROOM = 'browser-chat';
// A restarted broker may briefly find its old ports still held; retry the start a few times.
const MAX_START_ATTEMPTS = 5;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT_PATH = path.join(REPO_ROOT, 'test-artifacts', 'chat.png');

// Throws when CI=true and chromium is missing; otherwise warns loudly and the file is skipped.
const hasChromium = requireTool(CHROMIUM_PATH);

async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!hasChromium)('the chat page in headless Chromium', () => {
  let respPort: number;
  let httpPort: number;
  let broker: BrokerHandle | null = null;
  let browser: Browser | null = null;
  let publisher: Redis | null = null;
  const pageErrors: string[] = [];
  let alice: Page;
  let bob: Page;

  /** A broker on fixed ports, so that a restart is reachable at the same URL. */
  async function startOnPorts(): Promise<BrokerHandle> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
      try {
        return await startBroker({ workers: 1, args: ['--port', String(respPort), '--http-port', String(httpPort)] });
      } catch (err) {
        lastError = err;
        await sleep(200);
      }
    }
    throw lastError;
  }

  async function connectPublisher(): Promise<Redis> {
    publisher?.disconnect();
    publisher = new Redis({ host: HOST, port: respPort, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    await withTimeout(publisher.connect(), 'ioredis to connect');
    return publisher;
  }

  /** A page in its own browser context (its own storage), joined to `room` as `name`. */
  async function openChat(name: string, room: string): Promise<Page> {
    const context = await browser!.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_TIMEOUT_MS);
    page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
    await page.goto(`http://${HOST}:${httpPort}/#${room}`);
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Join' }).click();
    // The notice is added once the SUBSCRIBE is confirmed.
    await page.locator('#room-log .notice', { hasText: `You joined #${room}` }).waitFor();
    return page;
  }

  /** The room log's line with `text`, once it is there. */
  async function roomLine(page: Page, text: string): Promise<{ author: string | null; text: string }> {
    const line = page.locator('#room-log li.line', { hasText: text });
    await line.waitFor();
    return { author: await line.getAttribute('data-author'), text: (await line.locator('.text').textContent()) ?? '' };
  }

  async function send(page: Page, text: string): Promise<void> {
    const box = page.getByLabel('Message');
    await box.fill(text);
    await box.press('Enter');
  }

  beforeAll(async () => {
    [respPort, httpPort] = [await findFreePort(), await findFreePort()];
    broker = await startOnPorts();
    browser = await withTimeout(chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }), 'chromium to start');
    await connectPublisher();
    [alice, bob] = [await openChat('alice', ROOM), await openChat('bob', ROOM)];
  }, 60_000);

  afterAll(async () => {
    publisher?.disconnect();
    await browser?.close();
    await broker?.stop();
  });

  it("two pages in one room each see the other's message, sent with Enter", async () => {
    await send(alice, 'hello bob');
    expect(await roomLine(bob, 'hello bob')).toEqual({ author: 'alice', text: 'hello bob' });
    expect(await roomLine(alice, 'hello bob')).toEqual({ author: 'alice', text: 'hello bob' });
    await send(bob, 'hi alice');
    expect(await roomLine(alice, 'hi alice')).toEqual({ author: 'bob', text: 'hi alice' });
    // Sent with Enter: the box is empty again.
    expect(await alice.getByLabel('Message').inputValue()).toBe('');
  });

  it('a plain-text PUBLISH from ioredis appears as a message from "redis", as text and not as HTML', async () => {
    expect(await publisher!.publish(`room:${ROOM}`, 'hi from redis-cli')).toBe(2);
    expect(await roomLine(alice, 'hi from redis-cli')).toEqual({ author: 'redis', text: 'hi from redis-cli' });
    await publisher!.publish(`room:${ROOM}`, '<b id="injected">bold?</b>');
    expect(await roomLine(bob, 'bold?')).toEqual({ author: 'redis', text: '<b id="injected">bold?</b>' });
    expect(await bob.locator('#injected').count()).toBe(0);
  });

  it('the message list is a polite live region', async () => {
    expect(await alice.locator('#room-log').getAttribute('aria-live')).toBe('polite');
    expect(await alice.locator('#monitor-log').getAttribute('aria-live')).toBe('polite');
  });

  it("the monitor tab shows every room's traffic with its room name", async () => {
    await bob.getByRole('tab', { name: 'Monitor' }).click();
    await bob.locator('#monitor-log .notice', { hasText: 'Watching every room' }).waitFor();
    expect(await bob.locator('#panel-room').isHidden()).toBe(true);
    await publisher!.publish('room:kitchen', JSON.stringify({ name: 'carol', text: 'soup is ready', ts: Date.now() }));
    await publisher!.publish('room:garden', 'sprinklers on');
    const kitchen = bob.locator('#monitor-log li.line', { hasText: 'soup is ready' });
    const garden = bob.locator('#monitor-log li.line', { hasText: 'sprinklers on' });
    await kitchen.waitFor();
    await garden.waitFor();
    expect([await kitchen.getAttribute('data-room'), await kitchen.getAttribute('data-author')]).toEqual(['kitchen', 'carol']);
    expect([await garden.getAttribute('data-room'), await garden.getAttribute('data-author')]).toEqual(['garden', 'redis']);
    // Messages of bob's own room show up there too, tagged with it.
    await send(alice, 'seen by the monitor');
    expect(await bob.locator('#monitor-log li.line', { hasText: 'seen by the monitor' }).getAttribute('data-room')).toBe(ROOM);
    mkdirSync(path.dirname(SCREENSHOT_PATH), { recursive: true });
    await alice.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
  });

  it('after the broker restarts on the same ports, the page reconnects and its subscriptions resume', async () => {
    await broker!.stop();
    broker = null;
    await alice.locator('#status[data-state="reconnecting"]').waitFor();
    await bob.locator('#status[data-state="reconnecting"]').waitFor();
    broker = await startOnPorts();
    await alice.locator('#status[data-state="connected"]').waitFor();
    await bob.locator('#status[data-state="connected"]').waitFor();
    await connectPublisher();
    // alice's room, bob's room and bob's room:* monitor, all re-subscribed.
    expect(await publisher!.publish(`room:${ROOM}`, 'after the restart')).toBe(3);
    expect(await roomLine(alice, 'after the restart')).toEqual({ author: 'redis', text: 'after the restart' });
    await bob.locator('#monitor-log li.line', { hasText: 'after the restart' }).waitFor();
    await send(alice, 'still chatting');
    await bob.locator('#monitor-log li.line', { hasText: 'still chatting' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
