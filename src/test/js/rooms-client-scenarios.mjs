// Scenarios of the client module (webroot/rooms-client.js) against a real node, in Node.js with the
// `ws` package as its WebSocket. RoomsClientTest copies this file and the module into
// target/node-client, installs `ws` there, and runs `node rooms-client-scenarios.mjs NAME` with
// ORIGIN (the node's http base URL) and ROOM (a fresh room name): exit status 0 means it held.
// The rooms are of the tests' type "ledger" (src/test/java/durablerooms/types/LedgerRoom.java).

import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { RoomClient, RoomError, memoryStorage } from './rooms-client.js';

// Node.js 18 (Debian 12's) has neither global by default; 20 has both
globalThis.crypto ??= (await import('node:crypto')).webcrypto;
globalThis.CustomEvent ??= class extends Event {
  constructor(type, options = {}) {
    super(type);
    this.detail = options.detail;
  }
};

const ORIGIN = process.env.ORIGIN;
const ROOM = process.env.ROOM;
const TIMEOUT_MS = 15000;

/** Resolves with the detail of the next `type` event of `client` that matches `test`. */
function next(client, type, test = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' event within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    const on = (e) => {
      if (!test(e.detail)) return;
      clearTimeout(timer);
      client.removeEventListener(type, on);
      resolve(e.detail);
    };
    client.addEventListener(type, on);
  });
}

/** Waits until `condition()` holds, polling. */
async function until(what, condition) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('not within ' + TIMEOUT_MS + ' ms: ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A WebSocket class that records every URL it is asked to open. */
function recordingSocket(urls) {
  return class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      urls.push(url);
    }
  };
}

function client(options = {}) {
  return new RoomClient({ type: 'ledger', room: ROOM, name: 'node', origin: ORIGIN, WebSocket, ...options });
}

/** The room's log as a fresh client sees it with since=0. */
async function log() {
  const reader = client({ since: 0, clientId: 'reader-' + Math.random() });
  const events = [];
  reader.addEventListener('event', (e) => events.push(e.detail));
  const history = next(reader, 'history');
  reader.start();
  await history;
  reader.stop();
  return events;
}

/** An http base URL where nothing listens. */
async function deadOrigin() {
  const server = http.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return 'http://127.0.0.1:' + port;
}

const scenarios = {
  /** send() resolves with the ACK; refusals reject with the room's code; events come once each, in order. */
  async acks() {
    const c = client();
    const events = [];
    c.addEventListener('event', (e) => events.push(e.detail));
    const live = next(c, 'live');
    c.start();
    assert.equal((await live).first, true);
    const first = await c.send({ op: 'publish', text: 'one' });
    const second = await c.send({ op: 'publish', text: 'two', id: 'mine-2' });
    assert.equal(second.id, 'mine-2', 'an id given is kept');
    assert.equal(second.seq, first.seq + 1);
    await assert.rejects(c.send({ op: 'refuse' }), (e) => e instanceof RoomError && e.code === 'not_yours');
    await assert.rejects(c.send({ op: 'fail' }), (e) => e instanceof RoomError && e.code === 'room_error');
    await until('both events', () => events.length === 2);
    assert.deepEqual(events.map((e) => [e.text, e.seq]), [['one', first.seq], ['two', second.seq]]);
    assert.deepEqual(c.pending(), [], 'nothing left in the outbox');
    assert.equal(c.post({ op: 'publish', text: 'posted' }), true, 'post sends at once when live');
    await until('the posted event', () => events.length === 3);
    c.stop();
  },

  /** Frames sent while no node answers wait in the outbox; a new client (a reload) with the same storage sends them, once. */
  async outbox() {
    const storage = memoryStorage();
    const offline = client({ origin: await deadOrigin(), clientId: 'reloading', storage });
    offline.start();
    const outcomes = [1, 2, 3].map((i) => offline.send({ op: 'publish', text: 'kept ' + i }));
    await until('the client tried and is reconnecting', () => offline.state === 'reconnecting');
    offline.stop();
    assert.equal(offline.pending().length, 3);
    assert.equal(storage.length, 1, 'one outbox in storage');
    assert.equal(JSON.parse(storage.getItem(storage.key(0))).length, 3);
    assert.equal(outcomes.length, 3);

    const reloaded = client({ clientId: 'reloading', storage });
    assert.deepEqual(reloaded.pending().map((p) => p.frame.text), ['kept 1', 'kept 2', 'kept 3'], 'the outbox came back, in order');
    const acked = [];
    reloaded.addEventListener('acked', (e) => acked.push(e.detail.id));
    reloaded.start();
    await until('the three are acknowledged', () => acked.length === 3);
    assert.equal(storage.length, 0, 'an empty outbox leaves nothing in storage');
    reloaded.stop();

    const again = client({ clientId: 'reloading', storage: memoryStorage() });
    const live = next(again, 'live');
    again.start();
    await live;
    const ack = await again.send({ op: 'publish', text: 'kept 1', id: acked[0] }); // the same id once more
    again.stop();
    const texts = (await log()).map((e) => e.text);
    assert.deepEqual(texts, ['kept 1', 'kept 2', 'kept 3'], 'each frame ran once: ' + texts);
    assert.equal(typeof ack.seq, 'number');
  },

  /** A dropped socket reconnects with since (the last seq it had) and gets what it missed, each event once. */
  async resume() {
    const urls = [];
    const reader = client({ WebSocket: recordingSocket(urls), clientId: 'resumer' });
    const writer = client({ clientId: 'writer' });
    const events = [];
    reader.addEventListener('event', (e) => events.push(e.detail.seq));
    const live = next(reader, 'live');
    const writerLive = next(writer, 'live'); // listened for before either starts: the writer may be live first
    reader.start();
    writer.start();
    await live;
    await writerLive;
    const before = await writer.send({ op: 'publish', text: 'before' });
    await until('the reader has the first event', () => events.length === 1);

    const back = next(reader, 'live', (d) => !d.first);
    const resumed = next(reader, 'history');
    reader.ws.close(4000, 'cut by the test'); // as a network would
    const missed = [];
    for (const text of ['a', 'b', 'c']) missed.push((await writer.send({ op: 'publish', text })).seq);
    await back;
    const history = await resumed;
    assert.equal(history.kind, 'resume');
    assert.equal(new URL(urls[1]).searchParams.get('since'), String(before.seq), 'it resumed from its last seq');
    assert.equal(new URL(urls[1]).searchParams.get('client'), 'resumer');
    await until('every event', () => events.length === 4);
    assert.deepEqual(events, [before.seq, ...missed], 'every event once, in order');
    reader.stop();
    writer.stop();
  },

  /** A node that refuses the socket is left for another one that /api/nodes lists. */
  async failover() {
    const real = (await (await fetch(ORIGIN + '/api/nodes')).json()).nodes[0];
    const fake = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ nodes: [{ id: 'gone', http: fakeOrigin }, { id: real.id, http: ORIGIN }] }));
    });
    fake.on('upgrade', (req, socket) => socket.destroy()); // a node on its way out
    await new Promise((r) => fake.listen(0, '127.0.0.1', r));
    const fakeOrigin = 'http://127.0.0.1:' + fake.address().port;

    const c = client({ origin: fakeOrigin });
    const states = [];
    c.addEventListener('status', (e) => states.push(e.detail.state));
    const live = next(c, 'live');
    c.start();
    const { you } = await live;
    assert.equal(you.node, real.id, 'live on the node that /api/nodes named');
    assert.equal(c.base, ORIGIN);
    assert.deepEqual(states.slice(0, 2), ['connecting', 'reconnecting']);
    await c.send({ op: 'publish', text: 'through the other node' });
    c.stop();
    fake.close();
  },

  /** A client on https: keeps to the https: nodes of /api/nodes (a browser blocks ws: and http: from a secure page). */
  async secureNodes() {
    const answer = { nodes: [{ id: 'a', http: 'http://10.0.1.11:8080' }, { id: 'b', http: 'https://b.example:8443/' }] };
    const fetchNodes = async () => ({ ok: true, json: async () => answer });
    const secure = client({ origin: 'https://proxy.example', fetch: fetchNodes });
    assert.equal(await secure.refreshNodes(), true);
    assert.deepEqual(secure.nodes.map((n) => n.http), ['https://b.example:8443']);
    answer.nodes = [{ id: 'a', http: 'http://10.0.1.11:8080' }];
    assert.equal(await secure.refreshNodes(), false, 'no node that a secure page may use');
    assert.deepEqual(secure.nodes.map((n) => n.http), ['https://b.example:8443'], 'the list it had is kept');
    const alone = client({ origin: 'https://proxy.example', fetch: fetchNodes });
    alone.bad.set('https://proxy.example', Date.now() + 60000); // as after a close 1012
    assert.equal(await alone.pickNode(), 'https://proxy.example', 'with no https: node to go to, it stays with its own');

    const plain = client({ origin: 'http://127.0.0.1:8080', fetch: fetchNodes });
    assert.equal(await plain.refreshNodes(), true);
    assert.deepEqual(plain.nodes.map((n) => n.http), ['http://10.0.1.11:8080'], 'an http: page takes http: nodes');
  },

  /** After a silence the client pings, and the platform answers without the room's logic. */
  async ping() {
    const c = client({ pingEveryMs: 300 });
    const pong = next(c, 'frame', (f) => f.type === 'PONG');
    c.start();
    await pong;
    c.stop();
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error('no scenario ' + name + '; there are: ' + Object.keys(scenarios).join(', '));
  process.exit(2);
}
try {
  await scenarios[name]();
  process.exit(0);
} catch (e) {
  console.error(e);
  process.exit(1);
}
