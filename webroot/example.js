// What the example pages (tictactoe.html, whiteboard.html, dashboard.html) share: the room named by the address
// (#/NAME), the join form when it names none, the display name, and the connection's status pill.

import { RoomClient } from './rooms-client.js';

const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const STATUS_TEXT = { idle: 'Not connected', connecting: 'Connecting…', live: 'Live', offline: 'Offline' };
const $ = (id) => document.getElementById(id);

/**
 * Runs an example page: while the address names a room, a RoomClient of `type` is connected to it
 * and handed to `onClient(client, room)` before it starts; `onLeave()` is called when the room changes.
 */
export function examplePage({ type, title, onClient, onLeave = () => {} }) {
  const form = $('join-form');
  let client = null;
  let lastStatus = { state: 'idle' };

  const show = () => {
    client?.stop();
    client = null;
    onLeave();
    const room = roomFromHash();
    form.hidden = !!room;
    document.body.classList.toggle('no-room', !room);
    $('page-title').textContent = room ? `${title}: ${room}` : title;
    document.title = (room ? room + ' · ' : '') + title + ' · Durable Rooms';
    renderStatus({ state: 'idle' });
    if (!room) {
      $('room-input').value ||= type + '-' + (1000 + Math.floor(Math.random() * 9000));
      $('name-input').value = localStorage.getItem('rooms.name') || '';
      return;
    }
    client = new RoomClient({ type, room, name: displayName() });
    client.addEventListener('status', (e) => renderStatus(e.detail));
    onClient(client, room);
    client.start();
  };

  const renderStatus = (detail) => {
    lastStatus = detail;
    const { state } = detail;
    let text = STATUS_TEXT[state];
    let wait = '';
    if (state === 'reconnecting') {
      const ms = (detail.retryAt || 0) - Date.now();
      text = 'Reconnecting';
      wait = ms >= 1000 ? ` in ${Math.ceil(ms / 1000)} s` : '…';
    } else if (state === 'closed') {
      text = `Disconnected: ${detail.reason} (${detail.code})`;
    }
    $('status').dataset.state = state;
    if ($('status-text').textContent !== text) $('status-text').textContent = text;
    $('status-wait').textContent = wait;
    $('retry-button').hidden = !(state === 'offline' || state === 'closed'
      || (state === 'reconnecting' && (detail.retryAt || 0) - Date.now() > 1500));
    $('retry-button').textContent = state === 'closed' ? 'Try again' : 'Retry now';
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const room = $('room-input').value.trim();
    const name = $('name-input').value.trim();
    if (!ROOM_RE.test(room) || !name) return;
    localStorage.setItem('rooms.name', name);
    location.hash = '#/' + room;
  });
  $('retry-button').addEventListener('click', () => client?.retryNow(true));
  window.addEventListener('hashchange', show);
  // like the chat: a page kept in the back/forward cache leaves, and comes back when shown again
  window.addEventListener('pagehide', () => { client?.stop(); client = null; });
  window.addEventListener('pageshow', (e) => { if (e.persisted) show(); });
  setInterval(() => { if (lastStatus.state === 'reconnecting') renderStatus(lastStatus); }, 1000);
  show();
}

/** The room the address names (#/NAME), or null. */
function roomFromHash() {
  const m = location.hash.match(/^#\/([^/?#]+)$/);
  if (!m) return null;
  try {
    const room = decodeURIComponent(m[1]);
    return ROOM_RE.test(room) ? room : null;
  } catch {
    return null;
  }
}

/** The name remembered (the chat's too), or a guest name for this tab. */
function displayName() {
  const remembered = localStorage.getItem('rooms.name');
  if (remembered) return remembered;
  let guest = sessionStorage.getItem('rooms.guest');
  if (!guest) {
    guest = 'guest-' + (1000 + Math.floor(Math.random() * 9000));
    sessionStorage.setItem('rooms.guest', guest);
  }
  return guest;
}
