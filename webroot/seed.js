// The seed article's chat client, unchanged but for what this page needs: the script in its own
// file and its handlers attached from it (the Content-Security-Policy allows no inline script),
// and this server's address instead of localhost:8080. It renders SYSTEM frames as text and every
// other frame as "user: message": the server sends such a client (one that asks for no WebSocket
// subprotocol) only SYSTEM and MESSAGE frames.
let socket;

function connectToChat() {
  socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat');
  socket.onmessage = function (event) {
    const data = JSON.parse(event.data);
    const item = document.createElement('li');
    if (data.type === 'SYSTEM') {
      item.textContent = data.message;
    } else {
      item.textContent = `${data.user}: ${data.message}`;
    }
    document.getElementById('chat-messages').appendChild(item);
  };
}

function sendMessage() {
  const input = document.getElementById('message-input');
  if (input.value) {
    socket.send(JSON.stringify({ message: input.value }));
    const item = document.createElement('li');
    item.textContent = 'You: ' + input.value;
    document.getElementById('chat-messages').appendChild(item);
    input.value = '';
  }
}

document.getElementById('send-button').addEventListener('click', sendMessage);
document.getElementById('message-input').addEventListener('keydown', function (event) {
  if (event.key === 'Enter') sendMessage();
});
connectToChat();
