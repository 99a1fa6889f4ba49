// The Durable Rooms chat page: joins a room (form, link /#/room/NAME, or the active room list),
// shows the conversation, who is here and the connection's state. Plain ES modules, no build step.
// Every user string is set as text, never as HTML.

import { el, hue, initial } from './dom.js';
import { Conversation } from './conversation.js';
import { ChatConnection } from './connection.js';
import { tabClientId } from './rooms-client.js';

const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const PAGE = 50;
const TYPING_SEND_MS = 3000;
const TYPING_SHOW_MS = 5000;
const QUIET_REJOIN_MS = 4000; // a leave followed by a join of the same name this soon is a reconnect, not news
const ROOMS_REFRESH_MS = 15000;
const MAX_INPUT_PX = 160;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  statusText: $('status-text'),
  statusWait: $('status-wait'),
  retry: $('retry-button'),
  leave: $('leave-button'),
  roomTitle: $('room-title'),
  joinForm: $('join-form'),
  joinButton: $('join-button'),
  roomInput: $('room-input'),
  nameInput: $('name-input'),
  roomList: $('room-list'),
  presence: $('presence'),
  peopleCount: $('people-count'),
  nodeInfo: $('node-info'),
  typing: $('typing'),
  sendForm: $('send-form'),
  input: $('message-input'),
  send: $('send-button'),
  roomsToggle: $('rooms-toggle'),
  peopleToggle: $('people-toggle'),
  roomsPanel: $('rooms-panel'),
  peoplePanel: $('people-panel'),
};

/** This tab's client id: survives a reload (sessionStorage), so a resend after reload is deduplicated. */
const clientId = tabClientId();

let conn = null;
let room = null;
let me = null;
let members = new Map();
let historyStarted = false; // the first page of history has arrived for this join
let welcomed = false;
let lastStatus = { state: 'idle' };
let lastTypingSent = 0;
let unread = 0;
let knownRooms = []; // the last /api/rooms answer
const typers = new Map(); // member id -> {user, until}
const leaving = new Map(); // user name -> timer of a "left" line not shown yet

const conversation = new Conversation({
  list: $('chat-messages'),
  scroller: $('chat-scroll'),
  olderStatus: $('history-status'),
  jump: $('jump-latest'),
  onNeedOlder: (before) => !!conn && conn.history(before, PAGE),
});

// --- joining and leaving -------------------------------------------------------------------------

function join(roomName, name) {
  leave();
  room = roomName;
  document.body.classList.remove('no-room');
  ui.roomTitle.textContent = room;
  ui.roomInput.value = room;
  ui.nameInput.value = name;
  conversation.clear(room);
  historyStarted = false;
  welcomed = false;
  unread = 0;
  conn = new ChatConnection({ room, name, clientId });
  for (const item of conn.unsent()) conversation.addPending(item, name);
  listen(conn);
  conn.start();
  setComposer(true);
  if (isGuest(name)) {
    conversation.system(`You are ${name}. Pick your own name under “Join a room”.`);
  }
  updateTitle();
  updateJoinButton();
  loadRooms();
  closePanels();
}

function leave() {
  if (conn) conn.stop();
  conn = null;
  me = null;
  members = new Map();
  typers.clear();
  for (const t of leaving.values()) clearTimeout(t);
  leaving.clear();
  renderPresence();
  renderTyping();
}

function showLanding() {
  leave();
  room = null;
  document.body.classList.add('no-room');
  ui.roomTitle.textContent = 'Durable Rooms';
  conversation.clear('');
  setComposer(false);
  renderStatus({ state: 'idle' });
  updateTitle();
  updateJoinButton();
}

/** The page of each example's address on the landing page: /#/play/NAME, /#/board/NAME, /#/dash/NAME. */
const EXAMPLE_PAGES = { play: 'tictactoe.html', board: 'whiteboard.html', dash: 'dashboard.html' };

function route() {
  const example = location.hash.match(/^#\/(play|board|dash)\/([^/?#]+)$/); // the examples' pages have their own address
  if (example) {
    location.replace(EXAMPLE_PAGES[example[1]] + '#/' + example[2]);
    return;
  }
  const m = location.hash.match(/^#\/room\/([^/?#]+)$/);
  if (m) {
    let name;
    try {
      name = decodeURIComponent(m[1]);
    } catch {
      return;
    }
    if (ROOM_RE.test(name) && (name !== room || !conn)) join(name, chosenName());
    return;
  }
  if (location.hash === '' || location.hash === '#' || location.hash === '#/') showLanding();
}

/** The name to join under: the one typed, the one remembered, or a guest name for this tab. */
function chosenName() {
  const typed = ui.nameInput.value.trim();
  if (typed) return typed;
  const remembered = localStorage.getItem('rooms.name');
  if (remembered) return remembered;
  let guest = sessionStorage.getItem('rooms.guest');
  if (!guest) {
    guest = 'guest-' + (1000 + Math.floor(Math.random() * 9000));
    sessionStorage.setItem('rooms.guest', guest);
  }
  return guest;
}

function isGuest(name) {
  return name === sessionStorage.getItem('rooms.guest') && !localStorage.getItem('rooms.name');
}

function onJoinSubmit(e) {
  e.preventDefault();
  const r = ui.roomInput.value.trim();
  const n = ui.nameInput.value.trim();
  if (!ROOM_RE.test(r) || !n) return;
  localStorage.setItem('rooms.name', n);
  localStorage.setItem('rooms.room', r);
  if (conn && r === room) {
    if (n !== (me ? me.user : conn.name)) conn.rename(n);
    closePanels();
    return;
  }
  if (location.hash === '#/room/' + r) join(r, n);
  else location.hash = '#/room/' + r;
}

function updateJoinButton() {
  const same = conn && ui.roomInput.value.trim() === room;
  ui.joinButton.textContent = same ? 'Change name' : 'Join';
}

// --- the connection's events ---------------------------------------------------------------------

function listen(c) {
  const on = (type, handler) => c.addEventListener(type, (e) => { if (c === conn) handler(e.detail); });
  on('status', renderStatus);
  on('live', onLive);
  on('reset', () => {
    conversation.clear(room);
    historyStarted = false;
    conversation.system('This room was reset; showing what it has now.');
  });
  on('history', onHistory);
  on('frame', onFrame);
  on('acked', ({ id, seq, ts }) => conversation.confirm(id, seq, ts));
  on('failed', ({ id, message }) => conversation.fail(id, message || 'refused'));
}

function onLive({ you, seq }) {
  me = you;
  if (document.activeElement !== ui.nameInput) ui.nameInput.value = you.user;
  conversation.resetLoading();
  if (!historyStarted) {
    if (seq > 0 && conn.history(seq + 1, PAGE)) conversation.loading();
    else if (seq === 0) {
      historyStarted = true;
      conversation.markBeginning();
    }
  }
  renderNode();
}

function onHistory({ frame, kind }) {
  const messages = frame.messages || [];
  if (kind === 'resume') {
    const added = conversation.addMessages(messages, { live: true });
    countUnread(added);
    if (frame.gap) conversation.system('Some messages from while you were away are no longer kept.');
    return;
  }
  const added = conversation.addMessages(messages, { older: conversation.hasMessages });
  historyStarted = true;
  conversation.olderLoaded({ from: frame.from, gap: frame.gap, added });
}

function onFrame(f) {
  switch (f.type) {
    case 'SYSTEM':
      if (!welcomed) conversation.system(f.message);
      welcomed = true;
      break;
    case 'PRESENCE':
      members = new Map(f.members.map((m) => [m.id, m]));
      renderPresence();
      break;
    case 'MESSAGE':
      countUnread(conversation.addMessages([f], { live: true }));
      for (const [id, t] of typers) if (t.user === f.user) typers.delete(id);
      renderTyping();
      break;
    case 'JOIN':
      members.set(f.member.id, f.member);
      renderPresence();
      announceJoin(f.member);
      break;
    case 'LEAVE':
      members.delete(f.member.id);
      typers.delete(f.member.id);
      renderPresence();
      renderTyping();
      announceLeave(f.member);
      break;
    case 'RENAME': onRename(f.member); break;
    case 'TYPING':
      if (!me || f.id !== me.id) {
        typers.set(f.id, { user: f.user, until: Date.now() + TYPING_SHOW_MS });
        renderTyping();
      }
      break;
    case 'ERROR':
      // a failed join is followed by a close and a reconnect: the status line tells that story
      if (f.code !== 'unavailable') conversation.system('The server said: ' + f.message);
      break;
    default: break;
  }
}

function onRename(member) {
  const before = members.get(member.id);
  members.set(member.id, member);
  if (me && member.id === me.id) {
    me = member;
    conn.name = member.user;
    ui.nameInput.value = member.user;
    localStorage.setItem('rooms.name', member.user);
    conversation.system(`You are now ${member.user}.`);
  } else if (before && before.user !== member.user) {
    conversation.system(`${before.user} is now ${member.user}`);
  }
  renderPresence();
}

/** Whether someone else of this name is in the room (another tab, or the same person reconnected). */
function present(member) {
  return [...members.values()].some((m) => m.user === member.user && m.id !== member.id);
}

function announceJoin(member) {
  const pending = leaving.get(member.user);
  if (pending) {
    clearTimeout(pending); // left and came back at once: a reconnect, not news
    leaving.delete(member.user);
    return;
  }
  if (!present(member)) conversation.system(`${member.user} joined`);
}

function announceLeave(member) {
  clearTimeout(leaving.get(member.user));
  leaving.set(member.user, setTimeout(() => {
    leaving.delete(member.user);
    if (!present(member)) conversation.system(`${member.user} left`);
  }, QUIET_REJOIN_MS));
}

// --- sending -------------------------------------------------------------------------------------

function sendFromInput() {
  const text = ui.input.value.replace(/^\s*\n/, '').trimEnd();
  if (!conn || !text.trim()) return;
  const item = conn.say(text);
  conversation.addPending(item, me ? me.user : conn.name);
  ui.input.value = '';
  lastTypingSent = 0;
  resizeInput();
}

function onInputKey(e) {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendFromInput();
  }
}

function onInput() {
  resizeInput();
  const now = Date.now();
  if (conn && ui.input.value.trim() && now - lastTypingSent > TYPING_SEND_MS) {
    lastTypingSent = now;
    conn.typing();
  }
}

function resizeInput() {
  ui.input.style.height = 'auto';
  ui.input.style.height = Math.min(ui.input.scrollHeight + 2, MAX_INPUT_PX) + 'px';
}

function setComposer(enabled) {
  ui.input.disabled = !enabled;
  ui.send.disabled = !enabled;
  ui.input.placeholder = enabled ? 'Message ' + room : 'Join a room to write';
}

// --- rendering -----------------------------------------------------------------------------------

const STATUS_TEXT = { idle: 'Not connected', connecting: 'Connecting…', live: 'Live', offline: 'Offline' };

function renderStatus(detail) {
  lastStatus = detail;
  const { state } = detail;
  let text = STATUS_TEXT[state];
  let wait = ''; // the countdown is shown, not announced: a screen reader hears "Reconnecting" once
  if (state === 'reconnecting') {
    const ms = (detail.retryAt || 0) - Date.now();
    text = 'Reconnecting';
    wait = ms >= 1000 ? ` in ${Math.ceil(ms / 1000)} s` : '…';
  } else if (state === 'closed') {
    text = `Disconnected: ${detail.reason} (${detail.code})`;
  }
  ui.status.dataset.state = state;
  document.body.classList.toggle('not-live', !!room && state !== 'live'); // the member list may be stale
  if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
  ui.statusWait.textContent = wait;
  ui.status.title = state === 'offline' && detail.reason ? 'Offline: ' + detail.reason : '';
  ui.retry.hidden = !((state === 'reconnecting' && (detail.retryAt || 0) - Date.now() > 1500)
    || state === 'offline' || state === 'closed');
  ui.retry.textContent = state === 'closed' ? 'Try again' : 'Retry now';
  if (state === 'live') renderNode();
}

function renderNode() {
  if (!conn || !me) {
    ui.nodeInfo.textContent = '';
    return;
  }
  const host = conn.base.replace(/^https?:\/\//, '');
  ui.nodeInfo.textContent = 'Connected via ' + host;
  ui.nodeInfo.title = 'Connected through node ' + me.node + ' at ' + conn.base;
  ui.nodeInfo.dataset.node = me.node;
}

function renderPresence() {
  const list = [...members.values()].sort((a, b) => {
    if (me && a.id === me.id) return -1;
    if (me && b.id === me.id) return 1;
    return a.user.localeCompare(b.user);
  });
  ui.presence.replaceChildren(...list.map((m) => el('li', { dataset: { member: m.id } },
    el('span', { class: 'avatar small hue-' + hue(m.user), 'aria-hidden': 'true', text: initial(m.user) }),
    el('span', { class: 'who', title: m.user + ', connected through node ' + m.node },
      el('span', { class: 'name', text: m.user }),
      me && m.id === me.id ? el('span', { class: 'you', text: '(you)' }) : null))));
  ui.peopleCount.textContent = String(members.size);
  ui.peopleToggle.setAttribute('aria-label', `People in the room: ${members.size}`);
  renderRooms();
}

function renderTyping() {
  const now = Date.now();
  for (const [id, t] of typers) if (t.until < now) typers.delete(id);
  const names = [...new Set([...typers.values()].map((t) => t.user))];
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
  if (ui.typing.textContent !== text) ui.typing.textContent = text;
}

function countUnread(added) {
  if (added > 0 && document.hidden) {
    unread += added;
    updateTitle();
  }
}

function updateTitle() {
  document.title = (unread ? `(${unread}) ` : '') + (room ? room + ' · ' : '') + 'Durable Rooms';
}

async function loadRooms() {
  const base = conn ? conn.base : location.origin;
  try {
    const res = await fetch(new URL('/api/rooms', base), { cache: 'no-store', signal: AbortSignal.timeout(3000) });
    if (!res.ok) return;
    knownRooms = ((await res.json()).rooms || []).filter((r) => ROOM_RE.test(r.room));
  } catch {
    return; // the list is a convenience; the connection's status tells about the server
  }
  renderRooms();
}

/** The active rooms, busiest first; our own room's count is the live one from the member list. */
function renderRooms() {
  const rooms = knownRooms
    .map((r) => (r.room === room && me ? { room, members: members.size } : r))
    .filter((r) => r.members > 0 || r.room === room)
    .sort((a, b) => b.members - a.members || a.room.localeCompare(b.room))
    .slice(0, 30);
  if (room && me && !rooms.some((r) => r.room === room)) rooms.unshift({ room, members: members.size });
  if (rooms.length === 0) {
    ui.roomList.replaceChildren(el('li', { class: 'muted', text: 'No one is chatting yet. Start a room above.' }));
    return;
  }
  ui.roomList.replaceChildren(...rooms.map((r) => el('li', {},
    el('a', { href: '#/room/' + r.room, 'aria-current': r.room === room ? 'page' : null },
      el('span', { class: 'room-name', text: r.room }),
      el('span', { class: 'count', 'aria-label': `${r.members} online`, text: String(r.members) })))));
}

// --- panels on narrow screens --------------------------------------------------------------------

function togglePanel(button, panel) {
  const open = button.getAttribute('aria-expanded') !== 'true';
  closePanels();
  if (open) {
    button.setAttribute('aria-expanded', 'true');
    panel.classList.add('open');
    panel.querySelector('input, a, button')?.focus();
  }
}

function closePanels() {
  for (const [button, panel] of [[ui.roomsToggle, ui.roomsPanel], [ui.peopleToggle, ui.peoplePanel]]) {
    button.setAttribute('aria-expanded', 'false');
    panel.classList.remove('open');
  }
}

// --- wiring --------------------------------------------------------------------------------------

ui.joinForm.addEventListener('submit', onJoinSubmit);
ui.roomInput.addEventListener('input', updateJoinButton);
ui.sendForm.addEventListener('submit', (e) => { e.preventDefault(); sendFromInput(); ui.input.focus(); });
ui.input.addEventListener('keydown', onInputKey);
ui.input.addEventListener('input', onInput);
ui.retry.addEventListener('click', () => conn?.retryNow(true));
ui.leave.addEventListener('click', () => { location.hash = '#/'; });
for (const input of [ui.roomInput, ui.nameInput]) {
  // a field is marked invalid once the user has typed in it or tried to submit, not on load
  input.addEventListener('input', () => input.classList.add('touched'));
  input.addEventListener('invalid', () => input.classList.add('touched'));
}
ui.roomsToggle.addEventListener('click', () => togglePanel(ui.roomsToggle, ui.roomsPanel));
ui.peopleToggle.addEventListener('click', () => togglePanel(ui.peopleToggle, ui.peoplePanel));
document.querySelector('.skip-link').addEventListener('click', (e) => { e.preventDefault(); ui.input.focus(); });
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closePanels(); });
document.addEventListener('click', (e) => {
  if (!e.target.closest('.panel, .toggle')) closePanels(); // a tap beside an open panel closes it
});
document.addEventListener('visibilitychange', () => {
  if (document.hidden) return;
  unread = 0;
  updateTitle(); // the connection itself reconnects at once when the page is shown again
});
window.addEventListener('hashchange', route);
// a page the browser keeps in its back/forward cache would keep its socket open, and the others
// would see a member who has gone: leave on the way out, come back when the page is shown again
window.addEventListener('pagehide', () => leave());
window.addEventListener('pageshow', (e) => {
  if (e.persisted && room) join(room, chosenName());
});
setInterval(() => {
  if (lastStatus.state === 'reconnecting') renderStatus(lastStatus);
  if (typers.size) renderTyping();
}, 1000);
setInterval(loadRooms, ROOMS_REFRESH_MS);

ui.nameInput.value = localStorage.getItem('rooms.name') || '';
ui.roomInput.value = localStorage.getItem('rooms.room') || 'lobby';
renderStatus({ state: 'idle' });
loadRooms();
route();
