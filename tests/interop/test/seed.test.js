'use strict';
// The seed flow for every client version x transport mode:
//   (a) two peers: join acks, offer/answer, 4 ICE candidates each way in order
//   (b) three-peer mesh
//   (c) leave on disconnect and on an explicit leave(roomId), then rejoin
//   (d) exchange to an unknown id with an ack -> error object, nothing delivered, connection usable

const { describe, test } = require('node:test');
const h = require('./helpers');
const { assert } = h;

const TEST_TIMEOUT = h.TIMEOUT_MS * 6;

for (const client of h.SELECTED_CLIENTS) {
  for (const mode of h.SELECTED_MODES) {
    const excluded = h.EXCLUDED[`${client}/${mode}`];
    const v = h.CLIENTS[client].version;
    describe(`socket.io-client ${v} / ${mode}`, { skip: excluded || false }, () => {
      test('(a) two peers: join acks, offer/answer, ICE candidates in order', { timeout: TEST_TIMEOUT }, async (t) => {
        const room = h.roomName('a');
        const [A, B] = await h.peers(t, [
          [client, mode, 'A'],
          [client, mode, 'B'],
        ]);
        await A.join(room, [], 'A joins');
        await B.join(room, [A.id], 'B joins');

        // Offer with an extra field: the relay must pass the object unchanged.
        await h.relay(A, B, { ...h.offer(), meta: { n: 1, list: ['x', null, true] } }, 'offer A->B');
        await h.relay(B, A, h.answer(), 'answer B->A');

        // 4 candidates each way, sent back to back and interleaved.
        const sentByA = [];
        const sentByB = [];
        for (let i = 0; i < 4; i++) {
          const ca = { to: B.id, ...h.candidate(i, 'a') };
          const cb = { to: A.id, ...h.candidate(i, 'b') };
          A.emit('exchange', ca);
          B.emit('exchange', cb);
          sentByA.push(ca);
          sentByB.push(cb);
        }
        for (let i = 0; i < 4; i++) {
          const [gotB] = await B.next('exchange', `candidate #${i} A->B`);
          assert.deepEqual(gotB, { ...sentByA[i], from: A.id }, `${B.label}: candidate #${i} from A (order)`);
          const [gotA] = await A.next('exchange', `candidate #${i} B->A`);
          assert.deepEqual(gotA, { ...sentByB[i], from: B.id }, `${A.label}: candidate #${i} from B (order)`);
        }
        await h.sleep(h.QUIET_MS);
        A.assertNothingPending('after candidates');
        B.assertNothingPending('after candidates');
        assert.equal(A.transport, mode === 'polling' ? 'polling' : 'websocket', `${A.label}: transport at end`);
      });

      test('(b) three-peer mesh: acks and offer/answer between every pair', { timeout: TEST_TIMEOUT }, async (t) => {
        const room = h.roomName('b');
        const [A, B, C] = await h.peers(t, [
          [client, mode, 'A'],
          [client, mode, 'B'],
          [client, mode, 'C'],
        ]);
        await A.join(room, [], 'A joins');
        await B.join(room, [A.id], 'B joins');
        await C.join(room, [A.id, B.id], 'C joins');
        // The newcomer calls the peers it found in its ack, as the demo app does.
        await h.offerAnswer(C, A, 'C<->A');
        await h.offerAnswer(C, B, 'C<->B');
        await h.offerAnswer(B, A, 'B<->A');
        await h.relay(A, C, h.candidate(0, 'a'), 'candidate A->C');
        await h.relay(B, C, h.candidate(0, 'b'), 'candidate B->C');
        await h.sleep(h.QUIET_MS);
        for (const p of [A, B, C]) p.assertNothingPending('after mesh');
      });

      test('(c) leave: on disconnect, on engine close, on explicit leave(roomId); rejoin', { timeout: TEST_TIMEOUT }, async (t) => {
        const room = h.roomName('c');
        const [A, B, C, D] = await h.peers(t, [
          [client, mode, 'A'],
          [client, mode, 'B'],
          [client, mode, 'C'],
          [client, mode, 'D'],
        ]);
        await A.join(room, [], 'A joins');
        await B.join(room, [A.id], 'B joins');
        await C.join(room, [A.id, B.id], 'C joins');
        await D.join(room, [A.id, B.id, C.id], 'D joins');

        // B disconnects (socket.disconnect()).
        const bId = B.id;
        B.close();
        for (const p of [A, C, D]) {
          const args = await p.next('leave', `leave after B disconnects`);
          assert.deepEqual(args, [bId], `${p.label}: leave after B disconnects`);
        }

        // D's connection goes away without a Socket.IO disconnect packet.
        const dId = D.id;
        D.sock.io.engine.close();
        for (const p of [A, C]) {
          const args = await p.next('leave', `leave after D's engine closes`);
          assert.deepEqual(args, [dId], `${p.label}: leave after D's engine closes`);
        }

        // C leaves explicitly and stays connected.
        C.emit('leave', room);
        const args = await A.next('leave', 'leave after C emits leave(room)');
        assert.deepEqual(args, [C.id], `${A.label}: leave after C emits leave(room)`);
        await h.sleep(h.QUIET_MS);
        assert.ok(C.connected, `${C.label}: still connected after leave(room)`);
        A.assertNothingPending('after leaves');
        assert.deepEqual(C.queues.exchange, [], `${C.label}: unexpected exchange events`);

        // No shared room any more: an exchange from C must not reach A.
        C.emit('exchange', { to: A.id, ...h.offer() });
        await h.sleep(h.QUIET_MS);
        A.assertNothingPending('exchange from C, who left the room');
        assert.ok(C.connected, `${C.label}: still connected after exchange outside a shared room`);

        // C rejoins and talks to A again.
        await C.join(room, [A.id], 'C rejoins');
        await h.offerAnswer(C, A, 'C<->A after rejoin');
      });

      test('(d) exchange to an unknown id: ack gets an error, nothing delivered, connection usable', { timeout: TEST_TIMEOUT }, async (t) => {
        const room = h.roomName('d');
        const [A, B] = await h.peers(t, [
          [client, mode, 'A'],
          [client, mode, 'B'],
        ]);
        await A.join(room, [], 'A joins');
        await B.join(room, [A.id], 'B joins');

        const ack = await A.emitAck('exchange', [{ to: 'no-such-peer-0000000000', ...h.offer() }], 'exchange to unknown id');
        assert.ok(ack.length >= 1, `${A.label}: error ack needs an argument, got ${JSON.stringify(ack)}`);
        assert.ok(ack[0] && typeof ack[0] === 'object' && ack[0].error, `${A.label}: error ack must be an object with 'error', got ${JSON.stringify(ack)}`);
        await h.sleep(h.QUIET_MS);
        A.assertNothingPending('after exchange to unknown id');
        B.assertNothingPending('after exchange to unknown id');
        assert.ok(A.connected, `${A.label}: still connected after the failed exchange`);

        // Still usable: a delivered exchange; its ack, if the server sends one, carries no error.
        let okAck;
        A.sock.emit('exchange', { to: B.id, ...h.offer() }, (...a) => (okAck = a));
        const [got] = await B.next('exchange', 'offer A->B after the failed exchange');
        assert.deepEqual(got, { to: B.id, ...h.offer(), from: A.id }, `${B.label}: offer after the failed exchange`);
        await h.sleep(h.QUIET_MS);
        if (okAck !== undefined) {
          assert.ok(okAck.length === 0 || okAck[0] == null, `${A.label}: ack of a delivered exchange must be empty/null, got ${JSON.stringify(okAck)}`);
        }
        await h.relay(B, A, h.answer(), 'answer B->A after the failed exchange');
      });
    });
  }
}
