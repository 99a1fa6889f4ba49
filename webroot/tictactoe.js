// The tic-tac-toe page: the board of /rooms/tictactoe/{room} as the server's referee has it. A move
// shows once the room has it (the page never guesses ahead), and a refused one says why. Every
// event of the room carries the whole game, so the page draws the latest one it got.

import { el } from './dom.js';
import { examplePage } from './example.js';

const $ = (id) => document.getElementById(id);
const CELLS = ['top left', 'top', 'top right', 'left', 'centre', 'right', 'bottom left', 'bottom', 'bottom right'];

let client = null;
let game = null;
let you = null; // our seat, X or O, or null while watching

const cells = CELLS.map((label, i) => el('button', { type: 'button', class: 'cell', dataset: { cell: String(i) },
  'aria-label': label }));
$('board').append(...cells);
cells.forEach((b, i) => b.addEventListener('click', () => act({ type: 'move', cell: i })));
$('sit-button').addEventListener('click', () => act({ type: 'sit' }));
$('rematch-button').addEventListener('click', () => act({ type: 'rematch' }));

/** Sends a frame to the referee; a refusal (a RoomError) is shown with its message. */
function act(frame) {
  if (!client) return;
  $('notice').textContent = '';
  client.send(frame).catch((e) => { $('notice').textContent = e.message; });
}

examplePage({
  type: 'tictactoe',
  title: 'Tic-tac-toe',
  onClient(c) {
    client = c;
    // on connect the room sends our seat and the game; every event after carries the game
    c.addEventListener('frame', ({ detail: f }) => {
      if (f.type === 'state') {
        you = f.you;
        show(f.game);
      }
    });
    c.addEventListener('event', ({ detail: e }) => show(e.game));
  },
  onLeave() {
    client = null;
    you = null;
    show(null);
  },
});

function show(g) {
  game = g;
  const board = game ? game.board : Array(9).fill('');
  const players = (game && game.players) || {};
  const seated = !!(players.X && players.O);
  cells.forEach((b, i) => {
    b.textContent = board[i];
    b.dataset.mark = board[i];
    b.setAttribute('aria-label', CELLS[i] + ', ' + (board[i] || 'empty'));
    b.classList.toggle('win', !!(game && game.line && game.line.includes(i)));
    b.disabled = !game || !!board[i] || !!game.winner || !seated || you !== game.turn;
  });
  for (const seat of ['X', 'O']) {
    const li = $('player-' + seat);
    li.querySelector('.player-name').textContent = players[seat]
      ? players[seat] + (you === seat ? ' (you)' : '') : 'free seat';
    li.classList.toggle('turn', !!(game && !game.winner && seated && game.turn === seat));
  }
  $('game-status').textContent = statusLine(players, seated);
  tick();
  $('sit-button').hidden = !game || !!you || seated;
  $('rematch-button').hidden = !game || !you || !game.winner;
}

function statusLine(players, seated) {
  if (!game) return '';
  if (game.winner === 'draw') return 'A draw.';
  const late = game.timeout ? ` ${game.timeout === you ? 'You' : players[game.timeout] || game.timeout} ran out of time.` : '';
  if (game.winner) return (game.winner === you ? 'You win!' : `${players[game.winner] || game.winner} wins.`) + late;
  if (!seated) return you ? 'Waiting for an opponent…' : 'Waiting for players: take a seat.';
  if (game.turn === you) return 'Your turn.';
  return `${players[game.turn]}'s turn` + (you ? '.' : ' (you are watching).');
}

// The turn clock: the referee's deadline (an alarm in the room ends the game when it passes, even
// if nobody is connected); the page only counts down to it.
function tick() {
  const left = game && game.deadline && !game.winner ? Math.max(0, Math.ceil((game.deadline - Date.now()) / 1000)) : null;
  $('turn-clock').textContent = left === null ? '' : `${left} s left for ${game.turn === you ? 'you' : (game.players || {})[game.turn] || game.turn}`;
}
setInterval(tick, 250);
