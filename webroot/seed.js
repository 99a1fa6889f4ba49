// The seed article's chat client (an external file only because the page's Content-Security-Policy
// allows no inline script). It connects to /chat, sends {"message": ...} and renders SYSTEM and MESSAGE.
const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat');

socket.onmessage = function (event) {
  const data = JSON.parse(event.data);
  const item = document.createElement('li');
  if (data.type === 'SYSTEM') {
    item.textContent = data.message;
  } else if (data.type === 'MESSAGE') {
    item.textContent = data.user + ': ' + data.message;
  } else {
    return;
  }
  document.getElementById('chat-messages').appendChild(item);
};

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
