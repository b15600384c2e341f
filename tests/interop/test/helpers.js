'use strict';
// Shared helpers for the seed-protocol interop tests.
// Every wait is bounded (TIMEOUT_MS) and fails with a message naming the
// client version, transport mode, peer and step.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const URL = process.env.SIGNALING_URL || 'http://127.0.0.1:3000';
const TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS || 5000);
// How long we listen to make sure that nothing (more) arrives.
const QUIET_MS = Number(process.env.INTEROP_QUIET_MS || 300);

// socket.io-client versions installed side by side through npm aliases.
const CLIENTS = {
  '1.3.7': { pkg: 'sio1', eio: 3 }, // the version of the react-native-webrtc demo app
  '1.7.4': { pkg: 'sio17', eio: 3 },
  '2.5.0': { pkg: 'sio2', eio: 3 },
  '4.8': { pkg: 'sio4', eio: 4 },
};
for (const c of Object.values(CLIENTS)) c.version = require(`${c.pkg}/package.json`).version;

const MODES = ['websocket', 'polling', 'upgrade'];

// Combinations that do not work even against the Node reference server.
// Key: `${client}/${mode}`, value: reason. (None at present; see README.md.)
const EXCLUDED = {};

function listFromEnv(name, all) {
  const v = process.env[name];
  if (!v) return all;
  const wanted = v.split(',').map((s) => s.trim()).filter(Boolean);
  return all.filter((x) => wanted.includes(x));
}
const SELECTED_CLIENTS = listFromEnv('INTEROP_CLIENTS', Object.keys(CLIENTS));
const SELECTED_MODES = listFromEnv('INTEROP_MODES', MODES);

function roomName(tag) {
  return `interop-${tag}-${crypto.randomBytes(4).toString('hex')}`;
}

function withTimeout(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Peer {
  constructor(client, mode, name) {
    this.client = client; // key of CLIENTS
    this.mode = mode;
    this.name = name;
    this.label = `${name} [socket.io-client ${CLIENTS[client].version} / ${mode}]`;
    this.queues = { exchange: [], leave: [] };
    this.waiters = { exchange: [], leave: [] };
    this.sock = null;
  }

  get id() {
    // 1.x/2.x set socket.id from the Engine.IO sid on connect; 4.x gets its own id.
    return this.sock.id || (this.sock.io && this.sock.io.engine && this.sock.io.engine.id);
  }

  get transport() {
    const e = this.sock && this.sock.io && this.sock.io.engine;
    return e && e.transport ? e.transport.name : undefined;
  }

  record(event, args) {
    const w = this.waiters[event].shift();
    if (w) w(args);
    else this.queues[event].push(args);
  }

  async connect() {
    const { pkg } = CLIENTS[this.client];
    const io = require(pkg);
    const opts = { forceNew: true, reconnection: false, timeout: TIMEOUT_MS };
    if (this.mode === 'websocket') opts.transports = ['websocket'];
    else if (this.mode === 'polling') opts.transports = ['polling'];
    // 'upgrade': the clients' default, polling first then upgrade to websocket.
    this.sock = io(URL, opts);
    for (const ev of ['exchange', 'leave']) this.sock.on(ev, (...args) => this.record(ev, args));
    await withTimeout(
      new Promise((resolve, reject) => {
        this.sock.once('connect', resolve);
        this.sock.once('connect_error', (e) => reject(new Error(`${this.label}: connect_error: ${e && (e.message || e)}`)));
        this.sock.once('error', (e) => reject(new Error(`${this.label}: error: ${e && (e.message || e)}`)));
      }),
      `${this.label}: connect to ${URL}`
    );
    assert.ok(typeof this.id === 'string' && this.id.length > 0, `${this.label}: no socket id after connect`);
    if (this.mode === 'upgrade') {
      if (this.transport !== 'websocket') {
        await withTimeout(
          new Promise((resolve) => this.sock.io.engine.once('upgrade', resolve)),
          `${this.label}: upgrade from ${this.transport} to websocket`
        );
      }
      assert.equal(this.transport, 'websocket', `${this.label}: transport after upgrade`);
    } else {
      assert.equal(this.transport, this.mode, `${this.label}: transport after connect`);
    }
    return this;
  }

  // Emit with an ack callback; resolves with the ack's argument list.
  emitAck(event, args, step) {
    return withTimeout(
      new Promise((resolve) => this.sock.emit(event, ...args, (...ackArgs) => resolve(ackArgs))),
      `${this.label}: ${step}: ack of '${event}'`
    );
  }

  emit(event, ...args) {
    this.sock.emit(event, ...args);
  }

  // Next not yet consumed `event` (exchange | leave); resolves with its argument list.
  next(event, step) {
    if (this.queues[event].length) return Promise.resolve(this.queues[event].shift());
    let resolver;
    const p = new Promise((resolve) => {
      resolver = resolve;
      this.waiters[event].push(resolve);
    });
    return withTimeout(p, `${this.label}: ${step}: waiting for '${event}'`).catch((e) => {
      const i = this.waiters[event].indexOf(resolver);
      if (i !== -1) this.waiters[event].splice(i, 1);
      throw e;
    });
  }

  // Asserts that no (further) exchange/leave event is pending.
  assertNothingPending(step) {
    for (const ev of ['exchange', 'leave']) {
      assert.deepEqual(this.queues[ev], [], `${this.label}: ${step}: unexpected '${ev}' events`);
    }
  }

  async join(room, expectedIds, step) {
    const ack = await this.emitAck('join', [room], step);
    assert.equal(ack.length, 1, `${this.label}: ${step}: join ack must have exactly one argument, got ${JSON.stringify(ack)}`);
    assert.ok(Array.isArray(ack[0]), `${this.label}: ${step}: join ack argument must be an array, got ${JSON.stringify(ack)}`);
    assert.deepEqual([...ack[0]].sort(), [...expectedIds].sort(), `${this.label}: ${step}: ids in join ack`);
    return ack[0];
  }

  get connected() {
    return !!(this.sock && this.sock.connected);
  }

  close() {
    if (this.sock) {
      try {
        this.sock.disconnect();
      } catch {
        /* already closed */
      }
    }
  }
}

// Sends one exchange message and checks that `to` receives it unchanged plus `from`.
async function relay(from, to, payload, step) {
  const msg = { to: to.id, ...payload };
  from.emit('exchange', msg);
  const args = await to.next('exchange', `${step} (from ${from.name})`);
  assert.equal(args.length, 1, `${to.label}: ${step}: exchange must have one argument, got ${JSON.stringify(args)}`);
  assert.deepEqual(args[0], { ...msg, from: from.id }, `${to.label}: ${step}: exchange payload from ${from.label}`);
}

const SDP_OFFER = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n';
const SDP_ANSWER = SDP_OFFER.replace('4611731400430051336', '5524521837210312344');

function offer() {
  return { sdp: { type: 'offer', sdp: SDP_OFFER } };
}
function answer() {
  return { sdp: { type: 'answer', sdp: SDP_ANSWER } };
}
function candidate(i, who) {
  return {
    candidate: {
      candidate: `candidate:${1000 + i} 1 udp ${2122260223 - i} ${who}-${i}.local ${50000 + i} typ host generation 0`,
      sdpMid: '0',
      sdpMLineIndex: 0,
    },
  };
}

// Offer/answer between two peers (a offers, b answers).
async function offerAnswer(a, b, step) {
  await relay(a, b, offer(), `${step}: offer ${a.name}->${b.name}`);
  await relay(b, a, answer(), `${step}: answer ${b.name}->${a.name}`);
}

// Creates peers; registers cleanup with the node:test context so every client is disconnected.
async function peers(t, specs) {
  const list = specs.map(([client, mode, name]) => new Peer(client, mode, name));
  t.after(() => list.forEach((p) => p.close()));
  for (const p of list) await p.connect();
  return list;
}

module.exports = {
  assert,
  URL,
  TIMEOUT_MS,
  QUIET_MS,
  CLIENTS,
  MODES,
  EXCLUDED,
  SELECTED_CLIENTS,
  SELECTED_MODES,
  Peer,
  peers,
  relay,
  offer,
  answer,
  candidate,
  offerAnswer,
  roomName,
  withTimeout,
  sleep,
};
