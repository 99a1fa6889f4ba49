// The Durable Rooms chat page: plain JavaScript, no build step. Every user string is set as text.
const $ = (id) => document.getElementById(id);
const messages = $('chat-messages');
const input = $('message-input');
const sendButton = $('send-button');

let socket = null;
let lastSeq = null;
let me = null;
let members = new Map();
const clientId = localStorage.getItem('rooms.client') || crypto.randomUUID();
localStorage.setItem('rooms.client', clientId);
const pending = new Map(); // id -> {text, li}

function line(cls, parts) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  for (const [c, text] of parts) {
    const span = document.createElement('span');
    span.className = c;
    span.textContent = text;
    li.append(span);
  }
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  messages.append(li);
  if (atBottom) messages.scrollTop = messages.scrollHeight;
  return li;
}

function time(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function showMessage(m) {
  if (lastSeq !== null && m.seq <= lastSeq) return; // already shown
  lastSeq = m.seq;
  line('', [['user', m.user], ['text', m.message], ['time', time(m.ts)]]);
}

function renderPresence() {
  const ul = $('presence');
  ul.replaceChildren();
  for (const m of members.values()) {
    const li = document.createElement('li');
    li.textContent = m.user + (me && m.id === me.id ? ' (you)' : '');
    const node = document.createElement('span');
    node.className = 'node';
    node.title = 'node ' + m.node;
    node.textContent = m.node.slice(0, 4);
    li.append(node);
    ul.append(li);
  }
}

function setStatus(text, live) {
  $('status').textContent = text;
  $('status').classList.toggle('live', !!live);
  input.disabled = sendButton.disabled = !live;
}

function connect(room, name) {
  if (socket) socket.close();
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams({ name, client: clientId });
  if (lastSeq !== null) params.set('since', lastSeq);
  socket = new WebSocket(`${proto}//${location.host}/chat/${encodeURIComponent(room)}?${params}`);
  setStatus('connecting');
  socket.onmessage = (e) => onFrame(JSON.parse(e.data));
  socket.onclose = () => setStatus('offline');
}

function onFrame(f) {
  switch (f.type) {
    case 'SYSTEM': line('system', [['text', f.message]]); break;
    case 'PRESENCE':
      me = f.you;
      members = new Map(f.members.map((m) => [m.id, m]));
      if (lastSeq === null) lastSeq = f.seq;
      renderPresence();
      setStatus('live', true);
      for (const [id, p] of pending) socket.send(JSON.stringify({ type: 'message', message: p.text, id }));
      if (f.seq > 0 && lastSeq === f.seq) socket.send(JSON.stringify({ type: 'history', limit: 50 }));
      break;
    case 'HISTORY': for (const m of f.messages) showMessage(m); break;
    case 'MESSAGE': showMessage(f); break;
    case 'ACK': {
      const p = pending.get(f.id);
      if (p) { p.li.classList.remove('pending'); pending.delete(f.id); lastSeq = Math.max(lastSeq, f.seq); }
      break;
    }
    case 'JOIN': members.set(f.member.id, f.member); renderPresence(); line('system', [['text', f.member.user + ' joined']]); break;
    case 'LEAVE': members.delete(f.member.id); renderPresence(); line('system', [['text', f.member.user + ' left']]); break;
    case 'RENAME': members.set(f.member.id, f.member); renderPresence(); break;
    case 'ERROR': line('system', [['text', 'error: ' + f.message]]); break;
  }
}

function send() {
  const text = input.value.trim();
  if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
  const id = crypto.randomUUID();
  const li = line('pending', [['user', me ? me.user : ''], ['text', text]]);
  pending.set(id, { text, li });
  socket.send(JSON.stringify({ type: 'message', message: text, id }));
  input.value = '';
}

async function loadRooms() {
  try {
    const res = await fetch('/api/rooms');
    const { rooms } = await res.json();
    const ul = $('room-list');
    ul.replaceChildren();
    for (const r of rooms) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '#/room/' + r.room;
      a.textContent = `${r.room} (${r.members})`;
      li.append(a);
      ul.append(li);
    }
  } catch { /* the list is a convenience */ }
}

function joinFromHash() {
  const m = location.hash.match(/^#\/room\/([A-Za-z0-9_.-]{1,64})$/);
  if (!m) return;
  $('room-input').value = m[1];
  const name = $('name-input').value || localStorage.getItem('rooms.name') || 'guest-' + Math.floor(Math.random() * 1000);
  $('name-input').value = name;
  messages.replaceChildren();
  lastSeq = null;
  connect(m[1], name);
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  localStorage.setItem('rooms.name', $('name-input').value);
  localStorage.setItem('rooms.room', $('room-input').value);
  if (location.hash === '#/room/' + $('room-input').value) joinFromHash();
  else location.hash = '#/room/' + $('room-input').value;
});
$('send-form').addEventListener('submit', (e) => { e.preventDefault(); send(); });
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); }
});
window.addEventListener('hashchange', joinFromHash);

$('name-input').value = localStorage.getItem('rooms.name') || '';
$('room-input').value = localStorage.getItem('rooms.room') || 'lobby';
loadRooms();
setInterval(loadRooms, 10000);
joinFromHash();
