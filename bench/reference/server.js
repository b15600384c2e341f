'use strict';
// Reference implementation of the "seed" signaling protocol used by the
// react-native-webrtc demo apps, on Node socket.io 4.8 (EIO3 clients allowed).
//
//   join(roomId, ack)          ack(ids already in the room); then the socket is in the room
//   exchange({to, ...}, ack?)  relayed to `to` as exchange({...data, from}) if both share a room;
//                              ack(null) when delivered, ack({error: {code, message}}) otherwise
//   leave(roomId, ack?)        others in the room get leave(id); the socket stays connected
//   disconnect                 every room the socket was in gets leave(id)
//
// Usage: node server.js [--port N]   (or PORT=N; default 3000; listens on 127.0.0.1)

const http = require('node:http');
const { Server } = require('socket.io');

function parsePort() {
  const i = process.argv.indexOf('--port');
  if (i !== -1 && process.argv[i + 1]) return Number(process.argv[i + 1]);
  const eq = process.argv.find((a) => a.startsWith('--port='));
  if (eq) return Number(eq.slice('--port='.length));
  return Number(process.env.PORT || 3000);
}

const port = parsePort();
const host = process.env.HOST || '127.0.0.1';

// Room names are prefixed in the adapter so that a room can never collide with
// the per-socket private room (named after the socket id).
const ROOM = 'room:';

const httpServer = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(httpServer, {
  allowEIO3: true,
  cors: { origin: true, credentials: true },
  maxHttpBufferSize: 1e6,
  serveClient: false,
});

function fail(ack, code, message) {
  if (typeof ack === 'function') ack({ error: { code, message } });
}

function isRoomId(x) {
  return (typeof x === 'string' && x.length > 0) || typeof x === 'number';
}

function sharesRoom(a, b) {
  for (const r of a.rooms) if (r.startsWith(ROOM) && b.rooms.has(r)) return true;
  return false;
}

io.on('connection', (socket) => {
  socket.on('join', (roomId, ack) => {
    if (!isRoomId(roomId)) return fail(ack, 'bad_request', 'roomId must be a non-empty string');
    const room = ROOM + roomId;
    const members = io.sockets.adapter.rooms.get(room) || new Set();
    const ids = [...members].filter((id) => id !== socket.id);
    if (typeof ack === 'function') ack(ids);
    socket.join(room);
  });

  socket.on('exchange', (data, ack) => {
    if (data === null || typeof data !== 'object' || Array.isArray(data) || typeof data.to !== 'string') {
      return fail(ack, 'bad_request', 'exchange needs an object with a string "to"');
    }
    const target = io.sockets.sockets.get(data.to);
    if (!target || target === socket || !sharesRoom(socket, target)) {
      return fail(ack, 'unknown_peer', `no peer ${data.to} in a room shared with you`);
    }
    target.emit('exchange', { ...data, from: socket.id });
    if (typeof ack === 'function') ack(null);
  });

  socket.on('leave', (roomId, ack) => {
    const room = ROOM + roomId;
    if (isRoomId(roomId) && socket.rooms.has(room)) {
      socket.to(room).emit('leave', socket.id);
      socket.leave(room);
    }
    if (typeof ack === 'function') ack(null);
  });

  socket.on('disconnecting', () => {
    for (const room of socket.rooms) {
      if (room.startsWith(ROOM)) socket.to(room).emit('leave', socket.id);
    }
  });
});

httpServer.listen(port, host, () => {
  const addr = httpServer.address();
  console.log(`reference signaling server listening on http://${addr.address}:${addr.port}`);
});

function shutdown() {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
