// The chat page's link to its room: the client module (rooms-client.js) with the chat's frames.

import { RoomClient, randomId } from './rooms-client.js';

export { randomId };

/** A chat room (/chat/{room}) kept connected, with the frames of the chat protocol (docs/protocol.md). */
export class ChatConnection extends RoomClient {
  constructor({ room, name, clientId }) {
    super({ type: 'chat', room, name, clientId });
  }

  /** Queues a chat message and sends it when live; returns it as the page shows it ({id, text, ts}). */
  say(text) {
    const id = 'm-' + randomId();
    this.send({ type: 'message', message: text, id });
    return { id, text, ts: Date.now() };
  }

  /** The messages a previous page of this tab left unacknowledged ({id, text, ts}). */
  unsent() {
    return this.pending().map(({ id, frame, ts }) => ({ id, text: frame.message, ts }));
  }

  rename(name) {
    this.name = name;
    this.post({ type: 'name', name });
  }

  typing() {
    this.post({ type: 'typing' });
  }

  /** Asks for up to `limit` messages before `before` (0 = the latest); false when not live. */
  history(before, limit) {
    return this.post({ type: 'history', before, limit });
  }
}
