// The whiteboard page: /rooms/whiteboard/{room} on a canvas. A stroke is drawn here at once and
// sent when the pointer lifts; it stays "pending" until the room's log has it (its event carries
// the id we gave it). The others' cursors come as ephemeral frames, at most ten a second from each
// page. Names are set as text; colours come from the server's palette.

import { el } from './dom.js';
import { examplePage } from './example.js';
import { randomId } from './rooms-client.js';

const W = 1600; // the board's own units (Whiteboard.java): pages scale them to their canvas
const H = 1000;
const MAX_POINTS = 1000;
const CURSOR_EVERY_MS = 100; // ten cursor frames a second at most: a node takes 20 frames a second from a connection
const CURSOR_HIDE_MS = 5000;

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx = canvas.getContext('2d');

let client = null;
let you = null; // our connection id
let people = new Map(); // connection id -> {id, name, color}
const strokes = new Map(); // the room's strokes, in log order, by id (or seq)
const pending = new Map(); // our strokes drawn here and not yet in the log, by id
const cursors = new Map(); // connection id -> {el, timer}
let drawing = null; // the stroke under the pointer
let cursorSent = 0;
let cursorTimer = null;

examplePage({
  type: 'whiteboard',
  title: 'Whiteboard',
  onClient(c) {
    client = c;
    c.addEventListener('frame', ({ detail: f }) => onFrame(f));
    c.addEventListener('event', ({ detail: e }) => onEvent(e));
    // away for longer than the log remembers, or the room lost its state: ask for the whole board
    c.addEventListener('history', ({ detail }) => { if (detail.frame.gap || detail.frame.more) c.send({ type: 'board' }); });
    c.addEventListener('reset', () => c.send({ type: 'board' }));
  },
  onLeave() {
    client = null;
    you = null;
    people = new Map();
    strokes.clear();
    pending.clear();
    for (const id of [...cursors.keys()]) hideCursor(id);
    renderPeople();
    redraw();
  },
});

function onFrame(f) {
  switch (f.type) {
    case 'welcome':
      you = f.you;
      people = new Map(f.people.map((p) => [p.id, p]));
      renderPeople();
      break;
    case 'board':
      if (f.reset) strokes.clear();
      for (const s of f.strokes) strokes.set(key(s), s);
      redraw();
      break;
    case 'joined':
      people.set(f.id, { id: f.id, name: f.name, color: f.color });
      renderPeople();
      break;
    case 'left':
      people.delete(f.id);
      hideCursor(f.id);
      renderPeople();
      break;
    case 'cursor': showCursor(f); break;
    default: break;
  }
}

function onEvent(e) {
  if (e.type === 'stroke') {
    strokes.set(key(e), e);
    if (pending.delete(e.id)) redraw(); // ours: it moves from pending to its place in the log
    else draw(e);
  } else if (e.type === 'clear') {
    strokes.clear();
    redraw();
    notice(`${e.by} cleared the board.`);
  }
  count();
}

const key = (s) => s.id || 'seq-' + s.seq;

// --- drawing -----------------------------------------------------------------------------------

canvas.addEventListener('pointerdown', (e) => {
  if (!client || e.button !== 0) return;
  canvas.setPointerCapture(e.pointerId);
  const me = people.get(you);
  drawing = { points: [], color: me ? me.color : '#57606a', width: Number(document.querySelector('input[name="width"]:checked').value) };
  addPoint(e);
});
canvas.addEventListener('pointermove', (e) => {
  sendCursor(e);
  if (drawing) addPoint(e);
});
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
$('clear-button').addEventListener('click', () => client?.send({ type: 'clear' }).catch((e) => notice(e.message)));

/** The pointer's place in board units. */
function boardPoint(e) {
  const r = canvas.getBoundingClientRect();
  const x = Math.round(Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1) * W);
  const y = Math.round(Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1) * H);
  return [x, y];
}

function addPoint(e) {
  const [x, y] = boardPoint(e);
  const p = drawing.points;
  const n = p.length;
  if (n >= 2 && Math.abs(p[n - 2] - x) + Math.abs(p[n - 1] - y) < 3) return; // too close to the last one to matter
  p.push(x, y);
  draw(drawing);
  if (p.length >= 2 * MAX_POINTS) { // a long scribble goes as several strokes
    const { color, width } = drawing;
    finish();
    drawing = { color, width, points: [x, y] };
  }
}

function finish() {
  if (!drawing) return;
  const s = { ...drawing, id: 's-' + randomId() };
  drawing = null;
  pending.set(s.id, s);
  count();
  client?.send({ type: 'stroke', id: s.id, width: s.width, points: s.points }).catch((e) => {
    pending.delete(s.id);
    redraw();
    notice(e.code === 'storage_full' ? 'The board is full: clear it to draw more.' : e.message);
  });
}

function sendCursor(e) {
  if (!client) return;
  const wait = cursorSent + CURSOR_EVERY_MS - Date.now();
  clearTimeout(cursorTimer);
  const [x, y] = boardPoint(e);
  const send = () => {
    cursorSent = Date.now();
    client?.post({ type: 'cursor', x, y });
  };
  if (wait <= 0) send();
  else cursorTimer = setTimeout(send, wait); // the last place the pointer stopped at still goes out
}

// --- the canvas --------------------------------------------------------------------------------

function draw(s) {
  const p = s.points;
  ctx.strokeStyle = ctx.fillStyle = s.color;
  ctx.lineWidth = s.width;
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.beginPath();
  if (p.length === 2) {
    ctx.arc(p[0], p[1], s.width / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.moveTo(p[0], p[1]);
  for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
  ctx.stroke();
}

function redraw() {
  const r = canvas.getBoundingClientRect();
  const scale = (r.width * (window.devicePixelRatio || 1)) / W;
  canvas.width = Math.round(W * scale);
  canvas.height = Math.round(H * scale);
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  for (const s of strokes.values()) draw(s);
  for (const s of pending.values()) draw(s);
  if (drawing) draw(drawing);
  count();
}

/** What the page shows, for a test or a curious reader: the room's strokes, and ours still on their way. */
function count() {
  canvas.dataset.strokes = String(strokes.size);
  canvas.dataset.pending = String(pending.size);
}

new ResizeObserver(redraw).observe($('surface'));

// --- people and cursors ------------------------------------------------------------------------

function renderPeople() {
  $('people').replaceChildren(...[...people.values()].map((p) => {
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.setProperty('--c', p.color);
    return el('li', { dataset: { id: p.id } }, swatch, el('span', { class: 'name', text: p.name }),
      p.id === you ? el('span', { class: 'you', text: '(you)' }) : null);
  }));
}

function showCursor({ id, x, y }) {
  const person = people.get(id);
  let c = cursors.get(id);
  if (!c) {
    c = { el: el('div', { class: 'cursor', dataset: { id } }, el('span', { class: 'cursor-name', text: person ? person.name : '' })) };
    c.el.style.setProperty('--c', person ? person.color : '#57606a');
    $('cursors').append(c.el);
    cursors.set(id, c);
  }
  c.el.style.left = (x / W) * 100 + '%';
  c.el.style.top = (y / H) * 100 + '%';
  clearTimeout(c.timer);
  c.timer = setTimeout(() => hideCursor(id), CURSOR_HIDE_MS);
}

function hideCursor(id) {
  const c = cursors.get(id);
  if (!c) return;
  clearTimeout(c.timer);
  c.el.remove();
  cursors.delete(id);
}

function notice(text) {
  $('notice').textContent = text;
}
