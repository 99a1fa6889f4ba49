// The dashboard page: one tile per figure of /rooms/dashboard/{room}. On connecting the room sends
// every figure's current value; each figure a server pushes after that comes as an event of the
// room's log. The page only watches: figures are pushed with POST /api/rooms/dashboard/{room}.

import { el } from './dom.js';
import { examplePage } from './example.js';

const $ = (id) => document.getElementById(id);
const FORMAT = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });

const tiles = new Map(); // figure name -> its <li>

examplePage({
  type: 'dashboard',
  title: 'Dashboard',
  onClient(c, room) {
    $('curl').textContent = 'curl -s -X POST -H "Authorization: Bearer $ROOMS_API_KEY" \\\n'
      + `  -d '{"figure":"orders","value":42}' ${location.origin}/api/rooms/dashboard/${room}`;
    // the figures as they are on each (re)connection: they replace whatever the page showed
    c.addEventListener('frame', ({ detail: f }) => {
      if (f.type !== 'figures' || !f.figures || typeof f.figures !== 'object') return;
      clear();
      for (const [name, value] of Object.entries(f.figures)) show(name, value, false);
      sortTiles();
    });
    c.addEventListener('event', ({ detail: e }) => {
      if (e.type === 'figure') show(e.figure, e.value, true, e.seq);
    });
  },
  onLeave: clear,
});

function clear() {
  $('tiles').replaceChildren();
  tiles.clear();
  $('no-figures').hidden = false;
}

/** Shows a figure's value in its tile, made if new; a change made live flashes the tile. */
function show(name, value, live, seq) {
  if (typeof name !== 'string' || typeof value !== 'number') return;
  let tile = tiles.get(name);
  if (!tile) {
    tile = el('li', { class: 'tile', dataset: { figure: name } },
      el('span', { class: 'figure-name', text: name }), el('span', { class: 'figure-value' }));
    tiles.set(name, tile);
    $('tiles').append(tile);
    if (live) sortTiles();
  }
  tile.dataset.value = String(value);
  if (seq != null) tile.dataset.seq = String(seq);
  tile.querySelector('.figure-value').textContent = FORMAT.format(value);
  tile.title = `${name}: ${value}`;
  $('no-figures').hidden = true;
  if (live) {
    tile.classList.remove('changed');
    void tile.offsetWidth; // starts the animation again for a figure that changes twice in a row
    tile.classList.add('changed');
  }
}

function sortTiles() {
  $('tiles').append(...[...tiles.keys()].sort().map((n) => tiles.get(n)));
}
