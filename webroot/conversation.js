// The message list: messages kept in seq order (each seq shown once), own messages pending until
// the room acknowledges them, system lines, grouping by author, older pages on scrolling up, and
// autoscroll that follows new messages only while the reader is at the bottom.

import { el, fullTime, hue, initial, linkify, shortTime } from './dom.js';

const GROUP_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 200;

export class Conversation {
  /**
   * @param list      the <ol id="chat-messages">
   * @param scroller  its scrolling container
   * @param olderStatus  the line above the list (loading / beginning of the room)
   * @param jump      the "new messages" button
   * @param onNeedOlder  called with the lowest seq shown when older messages should be loaded
   */
  constructor({ list, scroller, olderStatus, jump, onNeedOlder }) {
    this.list = list;
    this.scroller = scroller;
    this.olderStatus = olderStatus;
    this.jump = jump;
    this.onNeedOlder = onNeedOlder;
    this.stick = true;
    scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    jump.addEventListener('click', () => this.scrollToEnd());
    this.clear('');
  }

  clear(room) {
    this.room = room;
    this.bySeq = new Map();
    this.byId = new Map(); // our own messages, by client id
    this.minSeq = Infinity;
    this.maxSeq = 0;
    this.loadingOlder = false;
    this.beginning = false;
    this.gapBefore = false;
    this.unseen = 0;
    this.list.replaceChildren();
    this.stick = true;
    this.jump.hidden = true;
    this.showOlderStatus();
  }

  get hasMessages() {
    return this.bySeq.size > 0;
  }

  // --- adding ----------------------------------------------------------------------------------

  /** Messages from the room (live, a resume, or a page); ones already shown are skipped. */
  addMessages(messages, { live = false, older = false } = {}) {
    const keep = older ? this.keepPosition() : null;
    let added = 0;
    for (const m of messages) {
      if (typeof m.seq !== 'number' || this.bySeq.has(m.seq)) continue;
      const mine = m.id && this.byId.get(m.id);
      if (mine) {
        this.confirm(m.id, m.seq, m.ts);
        continue;
      }
      const li = this.messageItem(m.user, m.message, m.ts, false);
      li.dataset.seq = m.seq;
      this.bySeq.set(m.seq, li);
      this.place(li, m.seq);
      this.track(m.seq);
      added++;
    }
    if (keep) keep();
    else if (added) this.followNew(live);
    return added;
  }

  /** One of our messages, shown at once as pending. */
  addPending(item, user) {
    if (this.byId.has(item.id)) return;
    const li = this.messageItem(user, item.text, item.ts, true);
    li.classList.add('pending');
    li.dataset.id = item.id;
    li.append(el('span', { class: 'state', text: 'Sending…' }));
    this.byId.set(item.id, li);
    this.place(li, Infinity);
    this.scrollToEnd();
  }

  /** The room has our message as `seq`: mark it sent and put it in its place in the order. */
  confirm(id, seq, ts) {
    const li = this.byId.get(id);
    if (!li || !li.classList.contains('pending')) return;
    li.classList.remove('pending');
    li.querySelector('.state')?.remove();
    li.dataset.seq = seq;
    li._ts = ts;
    const time = li.querySelector('time');
    time.dateTime = new Date(ts).toISOString();
    time.textContent = shortTime(ts);
    time.title = fullTime(ts);
    this.bySeq.set(seq, li);
    this.track(seq);
    const next = li.nextElementSibling;
    li.remove();
    this.place(li, seq);
    if (next) this.regroup(next);
  }

  /** The room refused our message for good. */
  fail(id, reason) {
    const li = this.byId.get(id);
    if (!li) return;
    li.classList.remove('pending');
    li.classList.add('failed');
    li.querySelector('.state')?.replaceWith(el('span', { class: 'state', text: 'Not sent: ' + reason }));
    li.remove();
    this.place(li, this.maxSeq + 0.5); // stays where it was in the conversation, not below what comes next
  }

  /** A line from the page itself (joins, leaves, notices). */
  system(text) {
    const li = el('li', { class: 'system' }, el('span', { class: 'system-text', text }));
    this.place(li, this.maxSeq + 0.5);
    if (this.stick) this.scrollToEnd(); // followed, but not counted as a new message
  }

  /** We asked for a page of history (the latest, or older ones). */
  loading() {
    this.loadingOlder = true;
    this.showOlderStatus();
  }

  /** A page arrived (`added` of its messages were new here): remember where the room's history starts. */
  olderLoaded({ from, gap, added }) {
    this.loadingOlder = false;
    if (added === 0 || from <= 1 || gap) this.beginning = true;
    this.gapBefore = gap;
    this.showOlderStatus();
    this.maybeLoadOlder();
  }

  /** The room is new or its history is all here. */
  markBeginning() {
    this.beginning = true;
    this.showOlderStatus();
  }

  /** A request for older messages was lost with the connection. */
  resetLoading() {
    this.loadingOlder = false;
    this.showOlderStatus();
  }

  // --- order and grouping ----------------------------------------------------------------------

  /** Inserts `li` after every item whose key is <= `key` (items stay sorted by key). */
  place(li, key) {
    li._key = key;
    const items = this.list.children;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]._key <= key) lo = mid + 1;
      else hi = mid;
    }
    this.list.insertBefore(li, items[lo] || null);
    this.regroup(li);
    if (li.nextElementSibling) this.regroup(li.nextElementSibling);
  }

  /** A message right after one by the same author, within a few minutes, is shown without its header. */
  regroup(li) {
    if (!li.classList.contains('msg')) return;
    const prev = li.previousElementSibling;
    const grouped = !!prev && prev.classList.contains('msg') && !prev.classList.contains('failed')
      && prev._user === li._user && li._ts - prev._ts < GROUP_MS
      && new Date(prev._ts).toDateString() === new Date(li._ts).toDateString();
    li.classList.toggle('grouped', grouped);
  }

  track(seq) {
    this.minSeq = Math.min(this.minSeq, seq);
    this.maxSeq = Math.max(this.maxSeq, seq);
  }

  messageItem(user, text, ts, own) {
    const li = el('li', { class: own ? 'msg own' : 'msg' },
      el('span', { class: 'avatar hue-' + hue(user), 'aria-hidden': 'true', text: initial(user) }),
      el('div', { class: 'meta' },
        el('span', { class: 'author', text: user }),
        el('time', { datetime: new Date(ts).toISOString(), title: fullTime(ts), text: shortTime(ts) })),
      el('div', { class: 'text' }, ...linkify(text)));
    li._user = user;
    li._ts = ts;
    return li;
  }

  // --- scrolling -------------------------------------------------------------------------------

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  onScroll() {
    this.stick = this.nearBottom();
    if (this.stick) {
      this.unseen = 0;
      this.jump.hidden = true;
    }
    if (this.scroller.scrollTop < NEAR_TOP_PX) this.maybeLoadOlder();
  }

  /** After new items: follow them if the reader is at the bottom, else count them on the button. */
  followNew(live) {
    if (this.stick) {
      this.scrollToEnd();
    } else if (live) {
      this.unseen++;
      this.jump.textContent = this.unseen === 1 ? '1 new message ↓' : this.unseen + ' new messages ↓';
      this.jump.hidden = false;
    }
    this.maybeLoadOlder();
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stick = true;
    this.unseen = 0;
    this.jump.hidden = true;
  }

  /** Prepending older messages: keep what the reader looks at where it is. */
  keepPosition() {
    const s = this.scroller;
    const fromBottom = s.scrollHeight - s.scrollTop;
    return () => { s.scrollTop = s.scrollHeight - fromBottom; };
  }

  /** Loads an older page when the top is in view (or nothing scrolls yet) and there is more. */
  maybeLoadOlder() {
    if (this.loadingOlder || this.beginning || !this.hasMessages || this.minSeq <= 1) {
      if (this.hasMessages && this.minSeq <= 1 && !this.beginning) this.markBeginning();
      return;
    }
    const s = this.scroller;
    if (s.scrollTop >= NEAR_TOP_PX && s.scrollHeight > s.clientHeight) return;
    if (this.onNeedOlder(this.minSeq)) {
      this.loadingOlder = true;
      this.showOlderStatus();
    }
  }

  showOlderStatus() {
    let text = '';
    if (this.loadingOlder) text = 'Loading older messages…';
    else if (this.beginning && this.gapBefore) text = 'Older messages of this room are no longer kept.';
    else if (this.beginning && this.room) text = 'This is the beginning of ' + this.room + '.';
    this.olderStatus.textContent = text;
  }
}
