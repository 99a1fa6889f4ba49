// Small DOM helpers. Every string goes in as text (a Text node or textContent), never as HTML.

/** Creates an element; `props` are attributes (class, text and dataset are special), children are nodes or text. */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') e.className = value;
    else if (key === 'text') e.textContent = value;
    else if (key === 'dataset') Object.assign(e.dataset, value);
    else e.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child != null && child !== false) e.append(child); // a string becomes a Text node
  }
  return e;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}]/g;

/** Message text as nodes: plain text, with http(s) links made clickable (href checked, text as text). */
export function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    let href = null;
    try {
      const url = new URL(m[0]);
      if (url.protocol === 'http:' || url.protocol === 'https:') href = url.href;
    } catch { /* not a URL after all: keep it as text */ }
    out.push(href
      ? el('a', { href, target: '_blank', rel: 'noopener noreferrer nofollow', text: m[0] })
      : m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** A stable colour slot (0..7) for a name, so each person keeps one avatar colour. */
export function hue(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 8;
}

/** The first letter of a name, for its avatar. */
export function initial(name) {
  const first = [...name.trim()][0] || '?';
  return first.toUpperCase();
}

/** "14:05" today, "3 Mar, 14:05" on another day. */
export function shortTime(ts) {
  const d = new Date(ts);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return d.toLocaleDateString([], { day: 'numeric', month: 'short' }) + ', ' + time;
}

export function fullTime(ts) {
  return new Date(ts).toLocaleString([], { dateStyle: 'full', timeStyle: 'medium' });
}
