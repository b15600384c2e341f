'use strict';
// (e) Mixed client versions in one room: 1.3.7, 1.7.4, 2.5.0 and 4.8 together.

const { describe, test } = require('node:test');
const h = require('./helpers');
const { assert } = h;

const TEST_TIMEOUT = h.TIMEOUT_MS * 6;

// Same mode for all, plus one case with the transports real apps use
// (1.3.7 websocket-only like the react-native demo, others mixed).
const scenarios = h.SELECTED_MODES.map((mode) => ({ name: `all ${mode}`, modes: () => mode }));
scenarios.push({
  name: 'mixed transports',
  modes: (client) => ({ '1.3.7': 'websocket', '1.7.4': 'polling', '2.5.0': 'upgrade', '4.8': 'websocket' })[client],
});

describe('(e) mixed client versions in one room', () => {
  for (const sc of scenarios) {
    const clients = h.SELECTED_CLIENTS.filter((c) => !h.EXCLUDED[`${c}/${sc.modes(c)}`]);
    test(sc.name, { timeout: TEST_TIMEOUT, skip: clients.length < 2 ? 'needs at least two client versions' : false }, async (t) => {
      const room = h.roomName('e');
      const ps = await h.peers(
        t,
        clients.map((c) => [c, sc.modes(c), `P${h.CLIENTS[c].version}`])
      );
      const ids = [];
      for (const p of ps) {
        await p.join(room, ids, `${p.name} joins`);
        ids.push(p.id);
      }
      // Every pair: offer/answer and a candidate each way.
      for (let i = 0; i < ps.length; i++) {
        for (let j = i + 1; j < ps.length; j++) {
          const [a, b] = [ps[j], ps[i]]; // the later joiner offers
          await h.offerAnswer(a, b, `${a.name}<->${b.name}`);
          await h.relay(a, b, h.candidate(i, a.name), `candidate ${a.name}->${b.name}`);
          await h.relay(b, a, h.candidate(j, b.name), `candidate ${b.name}->${a.name}`);
        }
      }
      // The first peer leaves: all others see it.
      const first = ps[0];
      const firstId = first.id;
      first.close();
      for (const p of ps.slice(1)) {
        const args = await p.next('leave', `leave after ${first.name} disconnects`);
        assert.deepEqual(args, [firstId], `${p.label}: leave after ${first.name} disconnects`);
      }
      await h.sleep(h.QUIET_MS);
      for (const p of ps.slice(1)) p.assertNothingPending('end');
    });
  }
});
