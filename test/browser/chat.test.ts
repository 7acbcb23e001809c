// The chat page (src/web) in headless Chromium against a real broker: two pages chat in one room,
// a plain PUBLISH from ioredis shows up as a message from "redis" (as text, never as HTML), the
// backlog recipe (MULTI / LPUSH / LTRIM / PUBLISH / EXEC to send; SUBSCRIBE then LRANGE to join)
// works from both sides and never shows a message twice, the monitor tab sees traffic from several
// rooms (and not the backlog keys), and after the broker restarts on the same ports the page
// reconnects, its subscription resumes and the history is still there (the append-only log).
// Leaves a screenshot in test-artifacts/chat.png.
//
// Uses the system's Debian chromium (/usr/bin/chromium) through playwright-core: no browser
// download. Missing chromium fails the file when CI=true and skips it loudly otherwise.
//
// Invariants: every wait is bounded (playwright timeouts, withTimeout); the browser and the broker
// are closed in afterAll; the tests run in order and share one broker and one browser; the broker
// keeps its append-only log in a fresh temporary directory (removed in afterAll), so every run
// starts with no history.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';
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
// The page's recipe: the backlog list beside the channel, trimmed to this many entries.
const BACKLOG_MAX_MESSAGES = 1000;
const HISTORY_MESSAGES = 50;
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
  let dataDir: string;
  let broker: BrokerHandle | null = null;
  let browser: Browser | null = null;
  let publisher: Redis | null = null;
  const pageErrors: string[] = [];
  let alice: Page;
  let bob: Page;

  /** A broker on fixed ports, so that a restart is reachable at the same URL, and with its log in `dataDir`. */
  async function startOnPorts(): Promise<BrokerHandle> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
      try {
        return await startBroker({
          workers: 1,
          args: ['--port', String(respPort), '--http-port', String(httpPort), '--appendonly', 'yes', '--dir', dataDir],
        });
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

  /**
   * A page in its own browser context (its own storage), joined to `room` as `name`. `beforeLoad`
   * runs before the page is loaded (e.g. to route its WebSocket).
   */
  async function openChat(name: string, room: string, beforeLoad?: (page: Page) => Promise<void>): Promise<Page> {
    const context = await browser!.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_TIMEOUT_MS);
    await beforeLoad?.(page);
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

  /** The texts of the room log's message lines, top to bottom. */
  async function roomTexts(page: Page): Promise<string[]> {
    return page.locator('#room-log li.line .text').allTextContents();
  }

  /** Sends `text` to `room` as the page does: its JSON payload, through the backlog transaction. */
  async function sendWithRecipe(room: string, name: string, text: string): Promise<void> {
    const ts = Date.now();
    const message = JSON.stringify({ id: `${ts}-${Math.random().toString(36).slice(2, 10)}`, name, text, ts });
    const key = `room:${room}:backlog`;
    const replies = await publisher!.multi()
      .lpush(key, message).ltrim(key, 0, BACKLOG_MAX_MESSAGES - 1).publish(`room:${room}`, message)
      .exec();
    for (const [err] of replies ?? []) if (err !== null) throw err;
  }

  beforeAll(async () => {
    [respPort, httpPort] = [await findFreePort(), await findFreePort()];
    dataDir = mkdtempSync(path.join(tmpdir(), 'ringcast-chat-'));
    broker = await startOnPorts();
    browser = await withTimeout(chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }), 'chromium to start');
    await connectPublisher();
    [alice, bob] = [await openChat('alice', ROOM), await openChat('bob', ROOM)];
  }, 60_000);

  afterAll(async () => {
    publisher?.disconnect();
    await browser?.close();
    await broker?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
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

  it("a message sent from the page is stored at the head of the room's backlog list", async () => {
    await send(alice, 'kept in the backlog');
    await roomLine(bob, 'kept in the backlog');
    const backlog = (await publisher!.lrange(`room:${ROOM}:backlog`, 0, -1)).map((entry) => JSON.parse(entry) as Record<string, unknown>);
    expect(backlog.map((entry) => [entry['name'], entry['text']])).toEqual([
      ['alice', 'kept in the backlog'], ['bob', 'hi alice'], ['alice', 'hello bob'],
    ]);
    expect(backlog[0]).toMatchObject({ id: expect.stringMatching(/^\d+-[a-z0-9]+$/), ts: expect.any(Number) });
    expect(new Set(backlog.map((entry) => entry['id'])).size).toBe(backlog.length);
    // Once on each page, though it was both published and pushed to the backlog.
    expect((await roomTexts(bob)).filter((text) => text === 'kept in the backlog')).toHaveLength(1);
  });

  it('a page that joins after 60 messages were sent shows exactly the last 50, oldest first', async () => {
    const room = 'history';
    const texts = Array.from({ length: 60 }, (_, i) => `history message ${i + 1}`);
    for (const text of texts) await sendWithRecipe(room, 'dora', text);
    const carol = await openChat('carol', room);
    try {
      expect(await roomTexts(carol)).toEqual(texts.slice(-HISTORY_MESSAGES));
      expect(await carol.locator('#room-log .notice', { hasText: `The last ${HISTORY_MESSAGES} messages are above.` }).count()).toBe(1);
      expect(await carol.locator('#room-log li.line').first().getAttribute('data-author')).toBe('dora');
    } finally {
      await carol.context().close();
    }
  });

  it('messages delivered live while the page reads the backlog, and also in it, are shown once', async () => {
    const room = 'race';
    for (const text of ['earlier 1', 'earlier 2']) await sendWithRecipe(room, 'erin', text);
    const between = ['between 1', 'between 2', 'between 3'];
    let liveBetween = 0;
    // Sits between the page and the broker. When the page asks for the backlog (after its SUBSCRIBE
    // was confirmed), three messages are sent with the recipe before the LRANGE is passed on: they
    // reach the page live, ahead of the LRANGE reply, and are in that reply too.
    const frank = await openChat('frank', room, async (page) => {
      await page.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((message) => {
          if (typeof message === 'string' && message.startsWith('["message"') && message.includes('between')) liveBetween++;
          ws.send(message);
        });
        let backlogReads = 0;
        // A chain, so the page's frames reach the broker in the order it sent them.
        let forwarded = Promise.resolve();
        ws.onMessage((message) => {
          forwarded = forwarded.then(async () => {
            if (typeof message === 'string' && message.startsWith('["LRANGE"') && backlogReads++ === 0) {
              for (const text of between) await sendWithRecipe(room, 'erin', text);
            }
            server.send(message);
          });
        });
      });
    });
    try {
      expect(liveBetween).toBe(between.length);
      expect(await roomTexts(frank)).toEqual(['earlier 1', 'earlier 2', ...between]);
    } finally {
      await frank.context().close();
    }
  });

  it('after its connection is cut, the page shows the messages sent while it was away, once each', async () => {
    const room = 'away';
    const connections: WebSocketRoute[] = [];
    let refusing = false;
    // The page's WebSocket goes through here, so the test can cut it and keep the page from
    // reconnecting until the messages it is to miss have been sent.
    const gina = await openChat('gina', room, (page) => page.routeWebSocket(/\/ws$/, (ws) => {
      if (refusing) return void ws.close();
      connections.push(ws);
      ws.connectToServer();
    }));
    try {
      for (const text of ['before 1', 'before 2']) await sendWithRecipe(room, 'hal', text);
      await roomLine(gina, 'before 2');
      refusing = true;
      await connections.at(-1)!.close();
      await gina.locator('#status[data-state="reconnecting"]').waitFor();
      const away = ['away 1', 'away 2', 'away 3'];
      for (const text of away) await sendWithRecipe(room, 'hal', text);
      refusing = false;
      await gina.locator('#room-log .notice', { hasText: 'Reconnected. 3 messages sent while you were away are above.' }).waitFor();
      await sendWithRecipe(room, 'hal', 'after');
      await roomLine(gina, 'after');
      expect(await roomTexts(gina)).toEqual(['before 1', 'before 2', ...away, 'after']);
    } finally {
      await gina.context().close();
    }
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
    // room:* matches channels, not keys: the LPUSH to room:<room>:backlog adds no line of its own.
    await roomLine(alice, 'seen by the monitor');
    const monitorRooms = await bob.locator('#monitor-log li.line').evaluateAll((items) => items.map((item) => item.getAttribute('data-room')));
    expect(monitorRooms.filter((room) => room?.endsWith(':backlog'))).toEqual([]);
    expect(await bob.locator('#monitor-log li.line', { hasText: 'seen by the monitor' }).count()).toBe(1);
    mkdirSync(path.dirname(SCREENSHOT_PATH), { recursive: true });
    await alice.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
  });

  it('after the broker restarts on the same ports, the page reconnects and its subscriptions resume', async () => {
    const backlogBefore = await publisher!.lrange(`room:${ROOM}:backlog`, 0, -1);
    await broker!.stop();
    broker = null;
    await alice.locator('#status[data-state="reconnecting"]').waitFor();
    await bob.locator('#status[data-state="reconnecting"]').waitFor();
    broker = await startOnPorts();
    await alice.locator('#status[data-state="connected"]').waitFor();
    await bob.locator('#status[data-state="connected"]').waitFor();
    await connectPublisher();
    expect(await publisher!.lrange(`room:${ROOM}:backlog`, 0, -1)).toEqual(backlogBefore);
    // alice's room, bob's room and bob's room:* monitor, all re-subscribed.
    expect(await publisher!.publish(`room:${ROOM}`, 'after the restart')).toBe(3);
    expect(await roomLine(alice, 'after the restart')).toEqual({ author: 'redis', text: 'after the restart' });
    await bob.locator('#monitor-log li.line', { hasText: 'after the restart' }).waitFor();
    await send(alice, 'still chatting');
    await bob.locator('#monitor-log li.line', { hasText: 'still chatting' }).waitFor();
    // The page read the backlog again on reconnecting: it held nothing the page did not show.
    await alice.locator('#room-log .notice', { hasText: /^Reconnected\.$/ }).waitFor();
    await roomLine(alice, 'still chatting');
    const texts = await roomTexts(alice);
    expect(texts.filter((text, i) => texts.indexOf(text) !== i)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('a page joining after the restart sees the history from before it', async () => {
    const ivy = await openChat('ivy', ROOM);
    try {
      // The page's own messages: the plain PUBLISHes from ioredis never went to the backlog.
      expect(await roomTexts(ivy)).toEqual(['hello bob', 'hi alice', 'kept in the backlog', 'seen by the monitor', 'still chatting']);
    } finally {
      await ivy.context().close();
    }
    expect(pageErrors).toEqual([]);
  });
});
