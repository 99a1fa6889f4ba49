// The page's link to one room: a WebSocket that survives what networks and restarts do to it.
// Reconnects with exponential backoff and jitter, capped at 5 s as Socket.IO's is (at once after
// 1012 "restarting", when the page is shown again, or when the network is back), resumes with
// `since` and a stable `client` id, resends unacknowledged messages with their ids (the room
// deduplicates them), and falls back to another node from /api/nodes when its own is gone.

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5000; // a server back from a restart is found within this, as with Socket.IO's default
const CONNECT_TIMEOUT_MS = 6000;
const PING_EVERY_MS = 20000;
const SILENCE_LIMIT_MS = 45000; // no frame at all for this long: the socket is dead, even if the browser has not noticed
const RESEND_AFTER_MS = 15000; // a message still unacknowledged this long after it was sent is sent again (same id)
const RETRY_SEND_MS = 1000; // after ERROR unavailable / rate_limited for a message
const BAD_NODE_MS = 15000; // a node that refused us or announced a restart is avoided this long
const NODES_TIMEOUT_MS = 2000;

/** The WebSocket subprotocol of the full protocol (PRESENCE, ACK, HISTORY, ...): without it the server speaks the seed's. */
const PROTOCOL = 'durable-rooms.v1';
const CLOSE_RESTARTING = 1012;
/**
 * Close codes after which the server says not to reconnect (protocol/CloseCode.java): the same
 * socket would be closed again. The page says why and waits for the user to try again.
 */
const NO_RECONNECT = new Map([
  [1002, 'protocol error'],
  [1007, 'invalid data'],
  [1008, 'refused by the server'],
  [1009, 'message too large'],
]);
const RETRYABLE_ERRORS = new Set(['unavailable', 'rate_limited']);

/**
 * A random id. crypto.randomUUID exists only in secure contexts (https, localhost), and a node is
 * often reached over plain http on a LAN name; getRandomValues works everywhere.
 */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Unacknowledged messages of one room, kept in sessionStorage so that a reload does not lose them. */
export class Outbox {
  constructor(room) {
    this.key = 'rooms.outbox.' + room;
    this.items = new Map();
    try {
      for (const item of JSON.parse(sessionStorage.getItem(this.key) || '[]')) this.items.set(item.id, item);
    } catch { /* a damaged entry: start empty */ }
  }

  add(text) {
    const item = { id: 'm-' + randomId(), text, ts: Date.now(), sentAt: 0 };
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
      sessionStorage.setItem(this.key, JSON.stringify(this.list().map(({ id, text, ts }) => ({ id, text, ts }))));
    } catch { /* storage full or disabled: the outbox still works in memory */ }
  }
}

/**
 * Events (CustomEvent, details in brackets):
 *   status  {state: connecting|live|reconnecting|offline|closed, retryAt?, reason?, code?, node?, base}
 *           closed: the server closed with a code that says not to reconnect; retryNow(true) tries again
 *   frame   a server frame, as parsed (every frame, after the connection's own bookkeeping)
 *   history {frame, kind: 'resume' | 'page'}
 *   live    {first, you, seq}          PRESENCE received: the page is a member (again)
 *   reset   {}                         the room's seq went backwards: what the page shows is stale
 *   acked   {id, seq, ts}              a message of ours is in the room
 *   failed  {id, code, message}        the room refused a message of ours for good
 */
export class RoomConnection extends EventTarget {
  constructor({ room, name, clientId, outbox, origin = location.origin }) {
    super();
    this.room = room;
    this.name = name;
    this.clientId = clientId;
    this.outbox = outbox;
    this.base = origin; // the node we talk to, as an http(s) base URL
    this.nodeId = null; // its id, once a PRESENCE told us
    this.nodes = [{ id: null, http: origin }]; // known nodes, from /api/nodes
    this.bad = new Map(); // base URL -> avoid until (ms)
    this.lastSeq = null; // the highest seq we hold all messages up to
    this.ws = null;
    this.live = false;
    this.stopped = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.state = null;
    this.closedFor = null; // {code, reason} while closed by a code that says not to reconnect
    this.onOnline = () => this.retryNow();
    this.onOffline = () => this.goOffline();
  }

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.heartbeat = setInterval(() => this.tick(), PING_EVERY_MS / 4);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    if (this.ws) this.detach(this.ws, 1000, 'left the room');
  }

  // --- what the page sends ---------------------------------------------------------------------

  /** Queues a chat message and sends it when live; returns the outbox item ({id, text, ts}). */
  say(text) {
    const item = this.outbox.add(text);
    if (this.live) this.sendItem(item);
    return item;
  }

  rename(name) {
    this.name = name;
    if (this.live) this.send({ type: 'name', name });
  }

  typing() {
    if (this.live) this.send({ type: 'typing' });
  }

  /** Asks for up to `limit` messages before `before` (0 = the latest); false when not live. */
  history(before, limit) {
    return this.live && this.send({ type: 'history', before, limit });
  }

  sendItem(item) {
    item.sentAt = Date.now();
    this.send({ type: 'message', message: item.text, id: item.id });
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // --- the socket ------------------------------------------------------------------------------

  async connect() {
    this.retryTimer = null;
    if (this.stopped || this.connecting) return;
    this.setStatus(this.attempt === 0 && this.lastSeq === null ? 'connecting' : 'reconnecting', { retryAt: 0 });
    this.connecting = true; // while the node is picked: one attempt at a time
    const base = await this.pickNode();
    this.connecting = false;
    if (this.stopped || this.ws) return;
    const url = new URL('/chat/' + encodeURIComponent(this.room), base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('name', this.name);
    url.searchParams.set('client', this.clientId);
    if (this.lastSeq !== null) url.searchParams.set('since', String(this.lastSeq));

    let ws;
    try {
      ws = new WebSocket(url, PROTOCOL);
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
      this.onFrame(ws, frame);
    };
    ws.onclose = (e) => this.dropped(ws, e.code, e.reason);
  }

  /** The socket is gone (closed by either side, failed to open, or silent): reconnect. */
  dropped(ws, code, reason) {
    if (ws !== this.ws || this.stopped) return;
    this.detach(ws, 4000, reason || 'dropped');
    this.ws = null;
    this.live = false;
    if ((!ws.opened && navigator.onLine !== false) || code === CLOSE_RESTARTING) {
      this.bad.set(ws.base, Date.now() + BAD_NODE_MS); // try another node first
    }
    if (NO_RECONNECT.has(code)) {
      this.closedFor = { code, reason: reason || NO_RECONNECT.get(code) };
      this.setStatus('closed', this.closedFor);
      return; // the same socket would be closed again: the user decides when to try
    }
    if (navigator.onLine === false) {
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
    if (now - ws.lastHeard > SILENCE_LIMIT_MS) {
      this.dropped(ws, 4001, 'no answer from the server');
      return;
    }
    if (now - ws.lastHeard > PING_EVERY_MS) this.send({ type: 'ping' });
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
        const res = await fetch(new URL('/api/nodes', base), {
          cache: 'no-store', signal: AbortSignal.timeout(NODES_TIMEOUT_MS),
        });
        if (!res.ok) continue;
        const { nodes } = await res.json();
        const list = (nodes || []).filter((n) => typeof n.http === 'string' && /^https?:\/\//.test(n.http));
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
      case 'PRESENCE': this.onPresence(ws, f); break;
      case 'HISTORY': this.onHistory(ws, f); return; // emits its own event
      case 'MESSAGE': this.advance(f.seq); this.settle(f); break;
      case 'ACK': this.onAck(f); break;
      case 'ERROR': if (this.onError(f)) return; break;
      default: break;
    }
    this.emit('frame', f);
  }

  onPresence(ws, f) {
    clearTimeout(ws.connectTimer);
    const first = this.lastSeq === null;
    if (!first && f.seq < this.lastSeq) {
      this.lastSeq = null; // the room was reset (its state lost): start again from what it has
      ws.expectResume = false;
      this.emit('reset', {});
    }
    if (this.lastSeq === null) this.lastSeq = f.seq;
    this.live = true;
    this.attempt = 0;
    this.nodeId = f.you && f.you.node;
    this.bad.delete(this.base);
    this.setStatus('live', { node: this.nodeId });
    this.emit('live', { first, you: f.you, seq: f.seq });
    for (const item of this.outbox.list()) this.sendItem(item);
    this.refreshNodes(); // know the other nodes before we need them
  }

  onHistory(ws, f) {
    const kind = ws.expectResume ? 'resume' : 'page';
    ws.expectResume = false;
    for (const m of f.messages || []) this.settle(m);
    if (kind === 'resume') {
      for (const m of f.messages || []) this.advance(m.seq);
    }
    this.emit('history', { frame: f, kind });
  }

  onAck(f) {
    this.advance(f.seq);
    if (this.outbox.remove(f.id)) this.emit('acked', { id: f.id, seq: f.seq, ts: f.ts });
  }

  /** A stored message that carries the id of one of ours: it is in, whether or not its ACK arrives. */
  settle(m) {
    if (m.id && this.outbox.remove(m.id)) this.emit('acked', { id: m.id, seq: m.seq, ts: m.ts });
  }

  /** True when the error was about a message of ours and has been dealt with here. */
  onError(f) {
    const item = f.id && this.outbox.get(f.id);
    if (!item) return false;
    if (RETRYABLE_ERRORS.has(f.code)) {
      setTimeout(() => { if (this.live && this.outbox.get(item.id)) this.sendItem(item); },
        RETRY_SEND_MS / 2 + Math.random() * RETRY_SEND_MS);
      return true;
    }
    this.outbox.remove(item.id);
    this.emit('failed', { id: item.id, code: f.code, message: f.message });
    return true;
  }

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
