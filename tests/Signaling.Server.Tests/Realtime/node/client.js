'use strict';
// One real socket.io-client driven by the .NET tests (Realtime/NodeSocketClient.cs).
// argv[2]: JSON {pkg: 'sio4'|'sio2', url, transports, fieldsIn: 'auth'|'query', fields: {token, deviceId, userId}}.
// stdout: one JSON object per line: {type: 'started'|'connect'|'connect_error'|'error'|'disconnect'|'event'|'ack', ...}.
// stdin: one JSON command per line: {cmd: 'emit', id?, event, args, ack} | {cmd: 'disconnect'}.
const readline = require('node:readline');

const config = JSON.parse(process.argv[2]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');

const io = require(config.pkg);
const version = require(`${config.pkg}/package.json`).version;
const opts = { forceNew: true, reconnection: false, timeout: 10000, transports: config.transports || ['websocket'] };
if (config.fieldsIn === 'auth') opts.auth = config.fields;
else opts.query = config.fields;

out({ type: 'started', version });
const sock = io(config.url, opts);
const idOf = () => sock.id || (sock.io && sock.io.engine && sock.io.engine.id);

sock.on('connect', () => out({ type: 'connect', id: idOf() }));
sock.on('connect_error', (e) => out({ type: 'connect_error', message: e && e.message, data: e && e.data }));
// socket.io-client 2.x reports a refused namespace connection as 'error' with the server's data.
sock.on('error', (e) => out({ type: 'error', data: e }));
sock.on('disconnect', (reason) => out({ type: 'disconnect', reason }));

if (typeof sock.onAny === 'function') {
  sock.onAny((name, ...args) => out({ type: 'event', name, args }));
} else {
  // 2.x has no onAny: every incoming event goes through onevent.
  const onevent = sock.onevent;
  sock.onevent = function (packet) {
    const [name, ...args] = packet.data || [];
    out({ type: 'event', name, args });
    onevent.call(this, packet);
  };
}

const commands = readline.createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const command = JSON.parse(line);
  if (command.cmd === 'emit') {
    const args = command.args || [];
    if (command.ack) sock.emit(command.event, ...args, (...ackArgs) => out({ type: 'ack', id: command.id, args: ackArgs }));
    else sock.emit(command.event, ...args);
  } else if (command.cmd === 'disconnect') {
    sock.disconnect();
  }
});
commands.on('close', () => {
  sock.disconnect();
  process.exit(0);
});
