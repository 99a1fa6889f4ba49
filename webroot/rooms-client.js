// Durable Rooms' client: one room over a WebSocket that survives what networks, restarts and lost
// nodes do to it. Every page of the server uses it (the chat, the examples); an app of your own can
// import it from any node: `import { RoomClient } from 'http://host:8080/rooms-client.js'`.
// A plain ES module with no dependency and no build step; it runs in browsers, and in Node.js 20
// given a WebSocket class (the `ws` package). docs/room-types.md#the-client-module documents it.
//
// Reconnects with exponential backoff and jitter, capped at 5 s as Socket.IO's is (at once after
// 1012 "restarting", when the page is shown again, or when the network is back), resumes with
// `since` and a stable `client` id, resends unacknowledged frames with their ids (the room runs
// each id once), keeps them across reloads, and falls back to another node from /api/nodes when
// its own is gone.

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5000; // a server back from a restart is found within this, as with Socket.IO's default
const CONNECT_TIMEOUT_MS = 6000;
const PING_EVERY_MS = 20000;
const SILENCE_FACTOR = 2.25; // no frame at all for this many ping periods: the socket is dead, even if the browser has not noticed
const RESEND_AFTER_MS = 15000; // a frame still unacknowledged this long after it was sent is sent again (same id)
const RETRY_SEND_MS = 1000; // after ERROR unavailable / rate_limited for a frame
const BAD_NODE_MS = 15000; // a node that refused us or announced a restart is avoided this long
const NODES_TIMEOUT_MS = 2000;
/**
 * Unacknowledged frames older than this are dropped at start, with their outbox: the room remembers
 * the ids of its last ROOMS_HISTORY_LIMIT frames only, and a tab that closed for good leaves its
 * outbox behind in localStorage.
 */
const OUTBOX_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const OUTBOX_PREFIX = 'rooms.outbox.';

/** The WebSocket subprotocol of the full protocol (PRESENCE, ACK, HISTORY, ...): without it the server speaks the seed's. */
export const PROTOCOL = 'durable-rooms.v1';
const CLOSE_RESTARTING = 1012;
/**
 * Close codes after which the server says not to reconnect (protocol/CloseCode.java): the same
 * socket would be closed again. The client says why and waits for retryNow(true).
 */
const NO_RECONNECT = new Map([
  [1002, 'protocol error'],
  [1007, 'invalid data'],
  [1008, 'refused by the server'],
  [1009, 'message too large'],
]);
const RETRYABLE_ERRORS = new Set(['unavailable', 'rate_limited']);
/** Frames of the platform; any other frame with a numeric seq is an event of the room's log. */
const PLATFORM_FRAMES = new Set(['PRESENCE', 'HISTORY', 'ACK', 'ERROR', 'PONG']);

/**
 * A random id. crypto.randomUUID exists only in secure contexts (https, localhost), and a node is
 * often reached over plain http on a LAN name; getRandomValues works everywhere.
 */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * This tab's client id, made once and kept in sessionStorage: a reload keeps it (so frames resent
 * after the reload are deduplicated, and a game gives its player the seat back), another tab has
 * its own.
 */
export function tabClientId() {
  const store = webStorage('sessionStorage');
  const id = (store && store.getItem('rooms.client')) || 'c-' + randomId();
  store?.setItem('rooms.client', id);
  return id;
}

/** A refusal of a frame: the ERROR frame's code and message (a RoomException's, or the platform's). */
export class RoomError extends Error {
  constructor(code, message, id) {
    super(message || code);
    this.name = 'RoomError';
    this.code = code;
    this.id = id;
  }
}

/** localStorage or sessionStorage where it can be used (not in Node.js, not when the browser forbids it). */
function webStorage(which) {
  try {
    const s = globalThis[which];
    return s && typeof s.getItem === 'function' ? s : null;
  } catch {
    return null; // a browser that forbids storage throws on access
  }
}

/** A Storage-like map for where there is no localStorage: the outbox then lasts as long as the client. */
export function memoryStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
    key: (i) => [...m.keys()][i] ?? null,
    get length() { return m.size; },
  };
}

/** Frames sent with an id and not yet acknowledged, kept in a Storage under one key per client and room. */
export class Outbox {
  constructor(key, storage) {
    this.key = key;
    this.storage = storage;
    this.items = new Map();
    Outbox.prune(storage, Date.now());
    try {
      for (const item of JSON.parse(storage.getItem(key) || '[]')) this.items.set(item.id, { ...item, sentAt: 0 });
    } catch { /* a damaged entry: start empty */ }
  }

  /** Removes the outboxes (of any client) whose newest frame is older than OUTBOX_MAX_AGE_MS. */
  static prune(storage, now) {
    try {
      const old = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (!key || !key.startsWith(OUTBOX_PREFIX)) continue;
        let items = [];
        try { items = JSON.parse(storage.getItem(key) || '[]'); } catch { /* damaged: old */ }
        if (!items.some((it) => now - it.ts < OUTBOX_MAX_AGE_MS)) old.push(key);
      }
      old.forEach((key) => storage.removeItem(key));
    } catch { /* storage unreadable: nothing to prune */ }
  }

  add(frame) {
    const item = { id: frame.id, frame, ts: Date.now(), sentAt: 0 };
    this.items.set(item.id, item);
    this.save();
    return item;
  }

  get(id) {
    return this.items.get(id);
  }

  remove(id) {
    const item = this.items.get(id);
    if (item) {
      this.items.delete(id);
      this.save();
    }
    return item;
  }

  list() {
    return [...this.items.values()];
  }

  save() {
    try {
      if (this.items.size === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(this.list().map(({ id, frame, ts }) => ({ id, frame, ts }))));
    } catch { /* storage full or disabled: the outbox still works in memory */ }
  }
}

/**
 * One room, kept connected. Options:
 *   type, room      the room's address: /rooms/{type}/{room}, or /chat/{room} for type 'chat' (the default)
 *   name            the display name (query parameter `name`)
 *   clientId        a stable id of this client (query parameter `client`): frames are deduplicated by client and id
 *   origin          the node to start with, as an http(s) base URL (in a browser, the page's)
 *   since           the seq to resume from at the first connection (0: the whole retained log); else none
 *   storage         where the outbox lives (a browser's localStorage by default, else memory)
 *   query           more query parameters for the logic, as an object
 *   WebSocket, fetch   to use instead of the global ones (Node.js 20 has no global WebSocket)
 *   pingEveryMs     how long a silence lasts before a ping (20000)
 *
 * Events (CustomEvent, details in brackets):
 *   status  {state: connecting|live|reconnecting|offline|closed, retryAt?, reason?, code?, node?, base}
 *           closed: the server closed with a code that says not to reconnect; retryNow(true) tries again
 *   live    {first, you, members, seq}  PRESENCE received: a member (again); unacknowledged frames go out again
 *   event   an event of the room's log (its fields and seq), once each and in seq order, live or resumed
 *   history {frame, kind: 'resume' | 'page'}  a HISTORY frame (resume: the events missed while away)
 *   frame   every other server frame as parsed, after the client's own bookkeeping (a logged event
 *           is also a 'frame', duplicates included; an ERROR about a frame of ours is 'failed' instead)
 *   reset   {}                          the room's seq went backwards: what the page shows is stale
 *   acked   {id, seq, ts}               a frame of ours is in the room
 *   failed  {id, code, message}         the room refused a frame of ours for good
 */
export class RoomClient extends EventTarget {
  constructor({ type = 'chat', room, name = '', clientId = tabClientId(), origin = globalThis.location?.origin,
    since = null, storage = webStorage('localStorage') || memoryStorage(), query = {},
    WebSocket: Socket = globalThis.WebSocket, fetch: fetchFn = globalThis.fetch?.bind(globalThis),
    pingEveryMs = PING_EVERY_MS } = {}) {
    super();
    this.type = type;
    this.room = room;
    this.path = type === 'chat' ? '/chat/' + encodeURIComponent(room)
      : '/rooms/' + encodeURIComponent(type) + '/' + encodeURIComponent(room);
    this.name = name;
    this.clientId = clientId;
    this.query = query;
    this.Socket = Socket;
    this.fetch = fetchFn;
    this.pingEveryMs = pingEveryMs;
    this.outbox = new Outbox(OUTBOX_PREFIX + clientId + ' ' + this.path, storage);
    this.waiting = new Map(); // frame id -> {resolve, reject}: the promises of send()
    this.base = origin; // the node we talk to, as an http(s) base URL
    this.nodeId = null; // its id, once a PRESENCE told us
    this.nodes = [{ id: null, http: origin }]; // known nodes, from /api/nodes
    this.bad = new Map(); // base URL -> avoid until (ms)
    this.lastSeq = since; // the highest seq we hold every event up to
    this.everLive = false;
    this.ws = null;
    this.live = false;
    this.stopped = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.state = null;
    this.closedFor = null; // {code, reason} while closed by a code that says not to reconnect
    this.onOnline = () => this.retryNow();
    this.onOffline = () => this.goOffline();
    this.onVisible = () => { if (!globalThis.document.hidden) this.retryNow(); };
  }

  start() {
    globalThis.addEventListener?.('online', this.onOnline);
    globalThis.addEventListener?.('offline', this.onOffline);
    globalThis.document?.addEventListener('visibilitychange', this.onVisible);
    this.heartbeat = setInterval(() => this.tick(), this.pingEveryMs / 4);
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.onOnline);
    globalThis.removeEventListener?.('offline', this.onOffline);
    globalThis.document?.removeEventListener('visibilitychange', this.onVisible);
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    if (this.ws) this.detach(this.ws, 1000, 'left the room');
  }

  // --- what the app sends ----------------------------------------------------------------------

  /**
   * Sends a frame that must arrive: it gets an id (unless it has one), waits in the outbox until
   * the room ACKs it, and goes out again after a reconnect or a reload. The promise resolves with
   * the ACK ({id, seq, ts}) and rejects with a RoomError when the room refuses it; after a reload
   * only the 'acked' and 'failed' events tell.
   */
  send(frame) {
    const f = { ...frame, id: frame.id || 'f-' + randomId() };
    const promise = new Promise((resolve, reject) => this.waiting.set(f.id, { resolve, reject }));
    promise.catch(() => {}); // a caller that ignores the outcome does not make an unhandled rejection
    const item = this.outbox.add(f);
    if (this.live) this.sendItem(item);
    return promise;
  }

  /** Sends a frame now if live, with no id and no retry (cursors, typing signals); false when not live. */
  post(frame) {
    return this.live && this.write(frame);
  }

  /** The frames waiting for their ACK ({id, frame, ts}), oldest first: after a reload, the ones the last page left. */
  pending() {
    return this.outbox.list().map(({ id, frame, ts }) => ({ id, frame, ts }));
  }

  sendItem(item) {
    item.sentAt = Date.now();
    this.write(item.frame);
  }

  write(frame) {
    if (!this.ws || this.ws.readyState !== 1) return false; // 1: OPEN
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // --- the socket ------------------------------------------------------------------------------

  async connect() {
    this.retryTimer = null;
    if (this.stopped || this.connecting) return;
    this.setStatus(this.attempt === 0 && !this.everLive ? 'connecting' : 'reconnecting', { retryAt: 0 });
    this.connecting = true; // while the node is picked: one attempt at a time
    const base = await this.pickNode();
    this.connecting = false;
    if (this.stopped || this.ws) return;
    const url = new URL(this.path, base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [k, v] of Object.entries(this.query)) url.searchParams.set(k, String(v));
    url.searchParams.set('name', this.name);
    url.searchParams.set('client', this.clientId);
    if (this.lastSeq !== null) url.searchParams.set('since', String(this.lastSeq));

    let ws;
    try {
      ws = new this.Socket(url.href, PROTOCOL);
    } catch {
      // refused before any network (a blocked or malformed address): treat as a failed attempt
      this.ws = { base, opened: false, close() {} };
      this.dropped(this.ws, 4003, 'cannot connect');
      return;
    }
    this.ws = ws;
    ws.opened = false;
    ws.base = base;
    ws.expectResume = this.lastSeq !== null;
    ws.connectTimer = setTimeout(() => this.dropped(ws, 4000, 'connect timeout'), CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      ws.opened = true;
      ws.lastHeard = Date.now();
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      ws.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return; // not ours to understand
      }
      if (frame && typeof frame === 'object') this.onFrame(ws, frame);
    };
    ws.onerror = () => {}; // a close follows; Node's ws would otherwise throw the error
    ws.onclose = (e) => this.dropped(ws, e.code, e.reason);
  }

  /** The socket is gone (closed by either side, failed to open, or silent): reconnect. */
  dropped(ws, code, reason) {
    if (ws !== this.ws || this.stopped) return;
    this.detach(ws, 4000, reason || 'dropped');
    this.ws = null;
    this.live = false;
    if ((!ws.opened && !offline()) || code === CLOSE_RESTARTING) {
      this.bad.set(ws.base, Date.now() + BAD_NODE_MS); // try another node first
    }
    if (NO_RECONNECT.has(code)) {
      this.closedFor = { code, reason: reason || NO_RECONNECT.get(code) };
      this.setStatus('closed', this.closedFor);
      return; // the same socket would be closed again: the user decides when to try
    }
    if (offline()) {
      this.setStatus('offline', { reason: 'no network' });
      return; // the 'online' event reconnects
    }
    const delay = code === CLOSE_RESTARTING ? Math.random() * 200 : this.backoff();
    this.attempt++;
    this.setStatus('reconnecting', { retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Exponential backoff with jitter: 0.5-1 x min(max, first x 2^attempt). */
  backoff() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  detach(ws, code, reason) {
    clearTimeout(ws.connectTimer);
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code, reason.slice(0, 100));
    } catch { /* already closing */ }
  }

  /**
   * The browser lost the network: a socket that looks open is dead or soon will be, and retries
   * cannot succeed. Drop it now, say so, and wait for the 'online' event.
   */
  goOffline() {
    if (this.stopped || this.closedFor) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws) this.dropped(this.ws, 4002, 'no network');
    else this.setStatus('offline', { reason: 'no network' });
  }

  /**
   * Reconnects now if a retry is waiting (the page is shown again, the network came back, or the
   * user asked). After a close that says not to reconnect, only the user's own request does.
   */
  retryNow(byUser = false) {
    if (this.stopped || this.ws || this.connecting || (this.closedFor && !byUser)) return;
    this.closedFor = null;
    if (byUser) this.attempt = 0;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  tick() {
    const ws = this.ws;
    if (!ws || !ws.opened) return;
    const now = Date.now();
    if (now - ws.lastHeard > this.pingEveryMs * SILENCE_FACTOR) {
      this.dropped(ws, 4001, 'no answer from the server');
      return;
    }
    if (now - ws.lastHeard > this.pingEveryMs) this.write({ type: 'ping' });
    if (this.live) {
      for (const item of this.outbox.list()) {
        if (now - item.sentAt > RESEND_AFTER_MS) this.sendItem(item);
      }
    }
  }

  // --- nodes -----------------------------------------------------------------------------------

  /** The node to connect to: ours unless it failed lately, else another one that answers /api/nodes. */
  async pickNode() {
    const now = Date.now();
    const usable = (base) => !(this.bad.get(base) > now);
    if (usable(this.base)) return this.base;
    await this.refreshNodes();
    const other = this.nodes.find((n) => n.http !== this.base && (n.id === null || n.id !== this.nodeId) && usable(n.http));
    if (other) {
      this.base = other.http;
      this.nodeId = other.id;
    }
    return this.base;
  }

  /** Asks the known nodes, ours first, for the cluster's node list; the first answer wins. */
  async refreshNodes() {
    const asked = new Set();
    for (const base of [this.base, ...this.nodes.map((n) => n.http)]) {
      if (asked.has(base)) continue;
      asked.add(base);
      try {
        const res = await this.fetch(new URL('/api/nodes', base), {
          cache: 'no-store', signal: AbortSignal.timeout(NODES_TIMEOUT_MS),
        });
        if (!res.ok) continue;
        const { nodes } = await res.json();
        // a page loaded over https: may not open ws: nor fetch http: (mixed content): behind a TLS
        // proxy, the nodes' own http: addresses would only lead it away from the proxy for good
        const scheme = new URL(this.base).protocol === 'https:' ? /^https:\/\// : /^https?:\/\//;
        const list = (nodes || []).filter((n) => typeof n.http === 'string' && scheme.test(n.http));
        if (list.length === 0) continue;
        this.nodes = list.map((n) => ({ id: String(n.id), http: n.http.replace(/\/+$/, '') }));
        if (!this.nodes.some((n) => n.http === this.base) && this.nodeId) {
          // we reach our node under another address (a proxy, localhost): keep ours, list the others
          this.nodes = this.nodes.filter((n) => n.id !== this.nodeId);
          this.nodes.unshift({ id: this.nodeId, http: this.base });
        }
        return true;
      } catch { /* that node does not answer: ask the next */ }
    }
    return false;
  }

  // --- frames ----------------------------------------------------------------------------------

  onFrame(ws, f) {
    switch (f.type) {
      case 'PRESENCE': this.onPresence(ws, f); return; // emits 'live'
      case 'HISTORY': this.onHistory(ws, f); return; // emits 'history' and 'event's
      case 'ACK': this.onAck(f); break;
      case 'ERROR': if (this.onError(f)) return; break;
      default:
        if (typeof f.seq === 'number' && !PLATFORM_FRAMES.has(f.type)) {
          this.settle(f);
          this.onEvent(f);
        }
        break;
    }
    this.emit('frame', f);
  }

  onPresence(ws, f) {
    clearTimeout(ws.connectTimer);
    const first = !this.everLive;
    if (this.lastSeq !== null && f.seq < this.lastSeq) {
      this.lastSeq = null; // the room was reset (its state lost): start again from what it has
      ws.expectResume = false;
      this.emit('reset', {});
    }
    if (this.lastSeq === null) this.lastSeq = f.seq;
    this.everLive = true;
    this.live = true;
    this.attempt = 0;
    this.nodeId = f.you && f.you.node;
    this.bad.delete(this.base);
    this.setStatus('live', { node: this.nodeId });
    this.emit('live', { first, you: f.you, members: f.members, seq: f.seq });
    this.emit('frame', f);
    for (const item of this.outbox.list()) this.sendItem(item);
    this.refreshNodes(); // know the other nodes before we need them
  }

  onHistory(ws, f) {
    const kind = ws.expectResume ? 'resume' : 'page';
    ws.expectResume = false;
    const events = Array.isArray(f.messages) ? f.messages : [];
    for (const m of events) this.settle(m);
    this.emit('history', { frame: f, kind });
    if (kind === 'resume') {
      for (const m of events) if (typeof m.seq === 'number') this.onEvent(m);
    }
  }

  /** Hands an event on once: false when its seq is one we hold already. */
  onEvent(e) {
    if (this.lastSeq !== null && e.seq <= this.lastSeq) return false;
    this.lastSeq = e.seq;
    this.emit('event', e);
    return true;
  }

  onAck(f) {
    this.advance(f.seq);
    this.done(f.id, { id: f.id, seq: f.seq, ts: f.ts });
  }

  /** A logged event that carries the id of one of ours: it is in, whether or not its ACK arrives. */
  settle(m) {
    if (m.id) this.done(m.id, { id: m.id, seq: m.seq, ts: m.ts });
  }

  done(id, ack) {
    if (!this.outbox.remove(id)) return;
    this.waiting.get(id)?.resolve(ack);
    this.waiting.delete(id);
    this.emit('acked', ack);
  }

  /** True when the error was about a frame of ours and has been dealt with here. */
  onError(f) {
    const item = f.id && this.outbox.get(f.id);
    if (!item) return false;
    if (RETRYABLE_ERRORS.has(f.code)) {
      setTimeout(() => { if (this.live && this.outbox.get(item.id)) this.sendItem(item); },
        RETRY_SEND_MS / 2 + Math.random() * RETRY_SEND_MS);
      return true;
    }
    this.outbox.remove(item.id);
    this.waiting.get(item.id)?.reject(new RoomError(f.code, f.message, item.id));
    this.waiting.delete(item.id);
    this.emit('failed', { id: item.id, code: f.code, message: f.message });
    return true;
  }

  /** An ACK says the room's log is at `seq` and that this connection has had every event up to it. */
  advance(seq) {
    if (typeof seq === 'number' && (this.lastSeq === null || seq > this.lastSeq)) this.lastSeq = seq;
  }

  setStatus(state, extra = {}) {
    this.state = state;
    this.emit('status', { state, base: this.base, ...extra });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function offline() {
  return globalThis.navigator?.onLine === false;
}
