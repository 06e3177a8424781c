// Starts telegram-test-api (a Bot API emulator) for the Telegram channel tests:
//   node tests/peers/telegram_server.js PORT
// The package has no start binary of its own.
'use strict';

const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node telegram_server.js PORT');
  process.exit(2);
}

const server = new TelegramServer({ port, host: '127.0.0.1' });

server.start().then(
  () => console.log(`telegram-test-api listening on http://127.0.0.1:${port}`),
  (error) => {
    console.error(`telegram-test-api could not start: ${error}`);
    process.exit(1);
  },
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
