/**
 * The chat page's behaviour (src/web/index.html), served compiled as /js/web/chat.js: an ES module
 * run by the browser's main thread, loading the client from /js/client/index.js (json subprotocol,
 * so msgpackr is never loaded). No framework, no bundler.
 *
 * What it does: join a room and show its recent history and what arrives live; send chat messages
 * (a JSON payload {"id","name","text","ts"}); the Monitor tab PSUBSCRIBEs room:* and shows every
 * room's traffic. Payloads that are not our JSON (e.g. `redis-cli PUBLISH room:lobby hi`) are shown
 * as sent by "redis". The status line follows the client's connect/disconnect/reconnect.
 *
 * History is the backlog recipe Redis users know, with nothing ringcast-specific:
 * - send: one pipelined transaction `MULTI / LPUSH room:<r>:backlog <payload> / LTRIM room:<r>:backlog
 *   0 999 / PUBLISH room:<r> <payload> / EXEC`, so the backlog and the live channel get the message
 *   together and in the same order;
 * - join: SUBSCRIBE room:<r> first, then `LRANGE room:<r>:backlog 0 49` (newest first), shown oldest
 *   first. A message published between the two is both in the reply and delivered live: the id in
 *   the payload makes it one line. After a reconnect the LRANGE is done again and only what the log
 *   does not show yet is added.
 *
 * Invariants: message text is only ever inserted with textContent (never as HTML); each log keeps at
 * most MAX_LOG_LINES lines; our own messages are shown when they come back from the broker, not
 * when sent, so every line on screen was really delivered; a message id is shown at most once per
 * room visit.
 *
 * The repo compiles without the DOM lib (tsconfig is shared with Node code), so the few DOM
 * shapes used here are declared below.
 */
import { ConnectionLostError, RingcastClient, type Payload } from '../client/index.js';

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
// The list beside each room's channel (room:<r>:backlog): a key, so room:* subscribers never see it.
const BACKLOG_SUFFIX = ':backlog';
// LTRIM is optional in the recipe, but without it a room's backlog grows for as long as it is used.
const BACKLOG_MAX_MESSAGES = 1000;
const HISTORY_MESSAGES = 50;
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

/** The JSON payload this page publishes and keeps in the backlog. */
interface ChatPayload {
  /** Unique per message (`<ts>-<random>`); absent in payloads from older pages. */
  id?: string;
  name: string;
  text: string;
  ts: number;
}

/** One line to show: who, what, when. */
interface ChatLine {
  /** The payload's id; null when it has none (not sent by this page), so it cannot be recognised. */
  id: string | null;
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
/** Ids of the current room's lines, oldest first, at most MAX_LOG_LINES: how a message is shown once. */
const shownIds = new Set<string>();
/**
 * The current room's live messages that arrived while its backlog was being read, in arrival order;
 * null when no read is in flight. They are shown after the backlog, minus those it held.
 */
let heldLive: ChatLine[] | null = null;
/** Bumped by each backlog read: a read that is no longer the latest one drops its reply. */
let backlogReadCount = 0;

// --- payloads ------------------------------------------------------------------------------------

/** Our JSON payload, or the raw text/bytes of anything else, as a line to show. */
function readPayload(message: Payload): ChatLine {
  if (typeof message !== 'string') {
    return { id: null, author: REDIS_AUTHOR, text: `(${message.length} bytes of binary data)`, sentAt: new Date(), fromRedis: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    parsed = null;
  }
  if (isChatPayload(parsed)) {
    const sentAt = new Date(parsed.ts);
    return {
      id: parsed.id ?? null,
      author: parsed.name,
      text: parsed.text,
      sentAt: Number.isNaN(sentAt.getTime()) ? new Date() : sentAt,
      fromRedis: false,
    };
  }
  return { id: null, author: REDIS_AUTHOR, text: message, sentAt: new Date(), fromRedis: true };
}

function isChatPayload(value: unknown): value is ChatPayload {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<ChatPayload>;
  return typeof candidate.name === 'string' && typeof candidate.text === 'string' && typeof candidate.ts === 'number'
    && (candidate.id === undefined || typeof candidate.id === 'string');
}

function newMessageId(ts: number): string {
  return `${ts}-${Math.random().toString(36).slice(2, 10)}`;
}

function backlogKey(room: string): string {
  return CHANNEL_PREFIX + room + BACKLOG_SUFFIX;
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

/** Shows a room line unless its id is already shown; remembers the id (keeping the newest MAX_LOG_LINES). */
function showRoomLine(line: ChatLine): void {
  if (line.id !== null) {
    if (shownIds.has(line.id)) return;
    shownIds.add(line.id);
    if (shownIds.size > MAX_LOG_LINES) shownIds.delete(shownIds.values().next().value!);
  }
  appendLine(ui.roomLog, line, null);
}

/**
 * The backlog entries (LRANGE's reply, newest first) that the log does not show yet, oldest first.
 * The walk stops at the first entry already shown: LPUSH and PUBLISH run together in one
 * transaction, so the log already shows everything older than it. Without a shown entry (a join,
 * or more than HISTORY_MESSAGES missed) every entry is new.
 */
function unseenBacklog(entries: unknown): ChatLine[] {
  const unseen: ChatLine[] = [];
  if (!Array.isArray(entries)) return unseen;
  for (const entry of entries as Payload[]) {
    const line = readPayload(entry);
    if (line.id !== null && shownIds.has(line.id)) break;
    unseen.push(line);
  }
  return unseen.reverse();
}

/**
 * Reads the last HISTORY_MESSAGES of `room`'s backlog and shows what the log lacks, then `notice`
 * (given how many backlog lines were added), then the live messages held meanwhile. Call it with
 * the room's channel already subscribed and `heldLive` set: then a message published before the
 * LRANGE is in its reply, one published after arrives live, and one in both is shown once.
 * Returns quietly when a newer read or another room took over, or when the connection dropped (the
 * reconnect reads again); rejects on an error reply.
 */
async function showBacklog(room: string, notice: (addedCount: number) => string): Promise<void> {
  if (room !== currentRoom) return;
  const readNumber = ++backlogReadCount;
  const isCurrent = (): boolean => readNumber === backlogReadCount && room === currentRoom;
  // Assistive technology may wait for the batch instead of reading each backlog line as it is added.
  ui.roomLog.setAttribute('aria-busy', 'true');
  let entries: unknown;
  try {
    entries = await client.command('LRANGE', backlogKey(room), 0, HISTORY_MESSAGES - 1);
  } catch (err) {
    if (!isCurrent() || err instanceof ConnectionLostError) return;
    showHeldLive();
    throw err;
  }
  if (!isCurrent()) return;
  const unseen = unseenBacklog(entries);
  for (const line of unseen) showRoomLine(line);
  appendNotice(ui.roomLog, notice(unseen.length));
  showHeldLive();
}

/** Ends a backlog read: the live messages held during it are shown, and new ones are shown as they come. */
function showHeldLive(): void {
  const held = heldLive ?? [];
  heldLive = null;
  for (const line of held) showRoomLine(line);
  ui.roomLog.setAttribute('aria-busy', 'false');
}

function countMessages(count: number): string {
  return count === 1 ? '1 message' : `${count} messages`;
}

async function joinRoom(room: string): Promise<void> {
  const previous = currentRoom;
  if (previous === room) return;
  currentRoom = room;
  shownIds.clear();
  heldLive = [];
  ui.roomHeading.textContent = `Room #${room}`;
  ui.roomLog.replaceChildren();
  if (previous !== null) await client.unsubscribe(CHANNEL_PREFIX + previous);
  // Subscribe before reading the backlog, or a message published in between would be in neither.
  await client.subscribe(CHANNEL_PREFIX + room);
  await showBacklog(room, (addedCount) => {
    const joined = `You joined #${room} as ${myName}.`;
    return addedCount === 0 ? joined : `${joined} The last ${countMessages(addedCount)} are above.`;
  });
  location.hash = room;
}

/**
 * Sends `payload` to `room` and stores it in the room's backlog: one pipelined transaction, so
 * nothing else runs between the LPUSH and the PUBLISH. Rejects on an error reply, including one
 * inside EXEC's reply (e.g. WRONGTYPE when the backlog key holds a string; MULTI does not roll back,
 * so the PUBLISH may still have run).
 */
async function publishWithBacklog(room: string, payload: ChatPayload): Promise<void> {
  const message = JSON.stringify(payload);
  const key = backlogKey(room);
  const replies = await Promise.all([
    client.command('MULTI'),
    client.command('LPUSH', key, message),
    client.command('LTRIM', key, 0, BACKLOG_MAX_MESSAGES - 1),
    client.command('PUBLISH', CHANNEL_PREFIX + room, message),
    client.command('EXEC'),
  ]);
  const execReply = replies[replies.length - 1];
  // EXEC answers null only for a failed WATCH, which this page never issues.
  if (!Array.isArray(execReply)) throw new Error('the transaction did not run');
  const failed: unknown = execReply.find((reply) => reply instanceof Error);
  if (failed !== undefined) throw failed;
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
  if (currentRoom === null || channel !== CHANNEL_PREFIX + currentRoom) return;
  const line = readPayload(message);
  if (heldLive !== null) heldLive.push(line);
  else showRoomLine(line);
});
client.on('pmessage', (_pattern, channel, message) => {
  appendLine(ui.monitorLog, readPayload(message), roomOfChannel(channel));
});
client.on('connect', () => showStatus('connected', 'Connected'));
// The client has subscribed again before this runs, so the backlog read catches up on what was
// sent while the connection was down.
client.on('reconnect', () => {
  showStatus('connected', 'Connected');
  if (currentRoom === null) return;
  heldLive ??= [];
  showBacklog(currentRoom, (addedCount) => {
    if (addedCount === 0) return 'Reconnected.';
    if (addedCount === HISTORY_MESSAGES) return `Reconnected. The last ${addedCount} messages are above; earlier ones may be missing.`;
    return `Reconnected. ${countMessages(addedCount)} sent while you were away ${addedCount === 1 ? 'is' : 'are'} above.`;
  }).catch(reportFailure(ui.sendError, 'Could not load the messages you missed'));
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
  const ts = Date.now();
  const payload: ChatPayload = { id: newMessageId(ts), name: myName, text, ts };
  ui.messageInput.value = '';
  publishWithBacklog(currentRoom, payload).catch((err: unknown) => {
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
