/**
 * The chat page's behaviour (src/web/index.html), served compiled as /js/web/chat.js: an ES module
 * run by the browser's main thread, loading the client from /js/client/index.js (json subprotocol,
 * so msgpackr is never loaded). No framework, no bundler.
 *
 * What it does: join a room (SUBSCRIBE room:<room>), send chat messages (PUBLISH room:<room> a JSON
 * payload {"name","text","ts"}), show what arrives live; the Monitor tab PSUBSCRIBEs room:* and
 * shows every room's traffic. Payloads that are not our JSON (e.g. `redis-cli PUBLISH room:lobby hi`)
 * are shown as sent by "redis". The status line follows the client's connect/disconnect/reconnect.
 *
 * Invariants: message text is only ever inserted with textContent (never as HTML); each log keeps at
 * most MAX_LOG_LINES lines; our own messages are shown when they come back from the broker, not
 * when sent, so every line on screen was really delivered.
 *
 * The repo compiles without the DOM lib (tsconfig is shared with Node code), so the few DOM
 * shapes used here are declared below.
 */
import { RingcastClient, type Payload } from '../client/index.js';

// --- the DOM surface this file uses --------------------------------------------------------------

interface PageEvent {
  readonly key?: string;
  preventDefault(): void;
}

interface PageElement {
  id: string;
  className: string;
  textContent: string | null;
  hidden: boolean;
  value: string;
  disabled: boolean;
  dateTime: string;
  tabIndex: number;
  readonly dataset: Record<string, string | undefined>;
  readonly firstElementChild: PageElement | null;
  readonly childElementCount: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
  scrollTop: number;
  setAttribute(name: string, value: string): void;
  append(...children: (PageElement | string)[]): void;
  replaceChildren(...children: (PageElement | string)[]): void;
  remove(): void;
  focus(): void;
  addEventListener(type: string, listener: (event: PageEvent) => void): void;
}

interface PageStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

declare const document: {
  getElementById(id: string): PageElement | null;
  createElement(tagName: string): PageElement;
};
declare const location: { protocol: string; host: string; hash: string };
declare const localStorage: PageStorage;

// --- settings ------------------------------------------------------------------------------------

const CHANNEL_PREFIX = 'room:';
const MONITOR_PATTERN = 'room:*';
const DEFAULT_ROOM = 'lobby';
const REDIS_AUTHOR = 'redis';
const NAME_STORAGE_KEY = 'ringcast.chat.name';
const MAX_LOG_LINES = 500;
const MAX_NAME_CHARS = 40;
const MAX_TEXT_CHARS = 2000;
// A reader within this distance of the bottom is following the log: keep it scrolled down.
const FOLLOW_SLACK_PX = 48;
const ROOM_NAME = /^[A-Za-z0-9_.:-]{1,60}$/;
const RECONNECT = { initialDelayMs: 250, maxDelayMs: 4_000 };

/** The JSON payload this page publishes. */
interface ChatPayload {
  name: string;
  text: string;
  ts: number;
}

/** One line to show: who, what, when. */
interface ChatLine {
  author: string;
  text: string;
  sentAt: Date;
  /** Not our JSON: a plain publish (redis-cli etc.). */
  fromRedis: boolean;
}

function element(id: string): PageElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`chat: the page has no #${id}`);
  return found;
}

const ui = {
  status: element('status'),
  statusText: element('status-text'),
  joinForm: element('join-form'),
  nameInput: element('name'),
  roomInput: element('room'),
  joinError: element('join-error'),
  roomTab: element('tab-room'),
  monitorTab: element('tab-monitor'),
  roomPanel: element('panel-room'),
  monitorPanel: element('panel-monitor'),
  roomHeading: element('room-heading'),
  roomLog: element('room-log'),
  monitorLog: element('monitor-log'),
  sendForm: element('send-form'),
  messageInput: element('message'),
  sendError: element('send-error'),
};

// --- state ---------------------------------------------------------------------------------------

const client = new RingcastClient(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  reconnect: RECONNECT,
});
let myName = '';
let currentRoom: string | null = null;
let monitoring = false;

// --- payloads ------------------------------------------------------------------------------------

/** Our JSON payload, or the raw text/bytes of anything else, as a line to show. */
function readPayload(message: Payload): ChatLine {
  if (typeof message !== 'string') {
    return { author: REDIS_AUTHOR, text: `(${message.length} bytes of binary data)`, sentAt: new Date(), fromRedis: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    parsed = null;
  }
  if (isChatPayload(parsed)) {
    const sentAt = new Date(parsed.ts);
    return { author: parsed.name, text: parsed.text, sentAt: Number.isNaN(sentAt.getTime()) ? new Date() : sentAt, fromRedis: false };
  }
  return { author: REDIS_AUTHOR, text: message, sentAt: new Date(), fromRedis: true };
}

function isChatPayload(value: unknown): value is ChatPayload {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<ChatPayload>;
  return typeof candidate.name === 'string' && typeof candidate.text === 'string' && typeof candidate.ts === 'number';
}

function roomOfChannel(channel: Payload): string {
  const name = typeof channel === 'string' ? channel : `(${channel.length} bytes)`;
  return name.startsWith(CHANNEL_PREFIX) ? name.slice(CHANNEL_PREFIX.length) : name;
}

// --- rendering -----------------------------------------------------------------------------------

/** Appends a line to `log`, trims it to MAX_LOG_LINES, and keeps it scrolled down if the reader was. */
function appendLine(log: PageElement, line: ChatLine, room: string | null): void {
  const following = log.scrollHeight - log.scrollTop - log.clientHeight <= FOLLOW_SLACK_PX;
  const item = document.createElement('li');
  item.className = line.fromRedis ? 'line from-redis' : line.author === myName ? 'line mine' : 'line';
  item.dataset['author'] = line.author;
  if (room !== null) item.dataset['room'] = room;

  const meta = document.createElement('p');
  meta.className = 'meta';
  if (room !== null) {
    const roomBadge = document.createElement('span');
    roomBadge.className = 'room-badge';
    roomBadge.textContent = `#${room}`;
    meta.append(roomBadge, ' ');
  }
  const author = document.createElement('span');
  author.className = 'author';
  author.textContent = line.author;
  const time = document.createElement('time');
  time.dateTime = line.sentAt.toISOString();
  time.textContent = line.sentAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  meta.append(author, ' ', time);

  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = line.text;

  item.append(meta, text);
  log.append(item);
  while (log.childElementCount > MAX_LOG_LINES) log.firstElementChild?.remove();
  if (following) log.scrollTop = log.scrollHeight;
}

function appendNotice(log: PageElement, text: string): void {
  const item = document.createElement('li');
  item.className = 'notice';
  item.textContent = text;
  log.append(item);
}

function showStatus(state: 'connecting' | 'connected' | 'reconnecting', text: string): void {
  ui.status.dataset['state'] = state;
  ui.statusText.textContent = text;
}

// --- rooms and history ---------------------------------------------------------------------------

/**
 * Earlier messages of `room`, oldest first: none for now. The recipe, once ringcast has a keyspace
 * (the backlog issue): publish with `MULTI / LPUSH room:<r>:backlog <payload> / PUBLISH room:<r>
 * <payload> / EXEC`, and on join SUBSCRIBE first, then `LRANGE room:<r>:backlog 0 49`, reverse it,
 * and drop live lines already shown. Today LPUSH/LRANGE/MULTI do not exist, so this is a no-op and
 * the page shows live messages only.
 */
async function loadHistory(_room: string): Promise<ChatLine[]> {
  return [];
}

async function joinRoom(room: string): Promise<void> {
  const previous = currentRoom;
  if (previous === room) return;
  currentRoom = room;
  if (previous !== null) await client.unsubscribe(CHANNEL_PREFIX + previous);
  ui.roomHeading.textContent = `Room #${room}`;
  ui.roomLog.replaceChildren();
  await client.subscribe(CHANNEL_PREFIX + room);
  for (const line of await loadHistory(room)) appendLine(ui.roomLog, line, null);
  appendNotice(ui.roomLog, `You joined #${room} as ${myName}.`);
  location.hash = room;
}

function readRoomFromHash(): string {
  const fromHash = decodeURIComponent(location.hash.slice(1));
  return ROOM_NAME.test(fromHash) ? fromHash : DEFAULT_ROOM;
}

function savedName(): string {
  try {
    const saved = localStorage.getItem(NAME_STORAGE_KEY);
    if (saved !== null && saved.trim() !== '') return saved.trim().slice(0, MAX_NAME_CHARS);
  } catch {
    // Storage can be disabled (private windows, policies): a fresh guest name will do.
  }
  return `guest-${Math.floor(Math.random() * 10_000).toString().padStart(4, '0')}`;
}

function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_STORAGE_KEY, name);
  } catch {
    // See savedName: not remembering the name is fine.
  }
}

// --- monitor -------------------------------------------------------------------------------------

/** Shows one tab's panel; the monitor subscribes to room:* only while it is shown. */
async function selectTab(showMonitor: boolean): Promise<void> {
  ui.roomTab.setAttribute('aria-selected', String(!showMonitor));
  ui.monitorTab.setAttribute('aria-selected', String(showMonitor));
  ui.roomTab.tabIndex = showMonitor ? -1 : 0;
  ui.monitorTab.tabIndex = showMonitor ? 0 : -1;
  ui.roomPanel.hidden = showMonitor;
  ui.monitorPanel.hidden = !showMonitor;
  if (showMonitor === monitoring) return;
  monitoring = showMonitor;
  if (showMonitor) {
    await client.psubscribe(MONITOR_PATTERN);
    appendNotice(ui.monitorLog, `Watching every room (${MONITOR_PATTERN}).`);
  } else {
    await client.punsubscribe(MONITOR_PATTERN);
  }
}

// --- wiring --------------------------------------------------------------------------------------

function reportFailure(target: PageElement, what: string): (err: unknown) => void {
  return (err) => {
    target.textContent = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  };
}

client.on('message', (channel, message) => {
  if (currentRoom !== null && channel === CHANNEL_PREFIX + currentRoom) appendLine(ui.roomLog, readPayload(message), null);
});
client.on('pmessage', (_pattern, channel, message) => {
  appendLine(ui.monitorLog, readPayload(message), roomOfChannel(channel));
});
client.on('connect', () => showStatus('connected', 'Connected'));
client.on('reconnect', () => {
  showStatus('connected', 'Connected');
  appendNotice(ui.roomLog, 'Reconnected. Messages sent while you were away are not shown.');
});
client.on('disconnect', () => showStatus('reconnecting', 'Connection lost, reconnecting…'));
client.on('error', (err) => console.error(err));

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  ui.joinError.textContent = '';
  const name = ui.nameInput.value.trim();
  const room = ui.roomInput.value.trim();
  if (name === '' || name.length > MAX_NAME_CHARS) {
    ui.joinError.textContent = `Pick a name of 1 to ${MAX_NAME_CHARS} characters.`;
    ui.nameInput.focus();
    return;
  }
  if (!ROOM_NAME.test(room)) {
    ui.joinError.textContent = 'A room name is 1 to 60 letters, digits or - _ . :';
    ui.roomInput.focus();
    return;
  }
  if (name !== myName && room === currentRoom) appendNotice(ui.roomLog, `You are now ${name}.`);
  myName = name;
  saveName(name);
  joinRoom(room).then(() => ui.messageInput.focus(), reportFailure(ui.joinError, 'Could not join'));
});

// A form submit is Enter in the message box, or the Send button.
ui.sendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.messageInput.value.trim().slice(0, MAX_TEXT_CHARS);
  if (text === '' || currentRoom === null) return;
  ui.sendError.textContent = '';
  const payload: ChatPayload = { name: myName, text, ts: Date.now() };
  ui.messageInput.value = '';
  client.publish(CHANNEL_PREFIX + currentRoom, JSON.stringify(payload)).catch((err: unknown) => {
    ui.messageInput.value = text;
    reportFailure(ui.sendError, 'Not sent')(err);
  });
});

ui.roomTab.addEventListener('click', () => void selectTab(false).catch(reportFailure(ui.sendError, 'Monitor')));
ui.monitorTab.addEventListener('click', () => void selectTab(true).catch(reportFailure(ui.sendError, 'Monitor')));
// The tabs pattern: arrow keys move between tabs (and select them).
for (const tab of [ui.roomTab, ui.monitorTab]) {
  tab.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const showMonitor = tab === ui.roomTab;
    (showMonitor ? ui.monitorTab : ui.roomTab).focus();
    void selectTab(showMonitor).catch(reportFailure(ui.sendError, 'Monitor'));
  });
}

myName = savedName();
ui.nameInput.value = myName;
const initialRoom = readRoomFromHash();
ui.roomInput.value = initialRoom;
joinRoom(initialRoom).catch(reportFailure(ui.joinError, 'Could not join'));
