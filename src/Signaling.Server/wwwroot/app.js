'use strict';
// The web call page. A call is an invitation sent through the REST API (/v1/invitations) with a fresh room id; its
// live events arrive on Socket.IO. Once the callee accepts, both tabs `join` the room and connect with the seed
// protocol: the one that finds a peer already there sends the offer, and SDP and ICE candidates travel as
// `exchange({to, sdp | candidate})`. `leave` ends the call on the other side.

const $ = (id) => document.getElementById(id);
const ui = {
  error: $('error'),
  status: $('status'),
  whoami: $('whoami'),
  signInForm: $('sign-in-form'),
  userName: $('user-name'),
  token: $('token'),
  signIn: $('sign-in'),
  callForm: $('call-form'),
  callee: $('callee'),
  outgoing: $('outgoing'),
  outgoingName: $('outgoing-name'),
  cancel: $('cancel'),
  incoming: $('incoming'),
  incomingName: $('incoming-name'),
  accept: $('accept'),
  refuse: $('refuse'),
  inCall: $('in-call'),
  peerName: $('peer-name'),
  pcState: $('pc-state'),
  hangUp: $('hang-up'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  remoteCaption: $('remote-caption'),
};

// Call states: signed-out, idle, calling (outgoing, ringing), ringing (incoming), connecting (in the room, no media
// yet), connected.
let callState = 'signed-out';
let userId = null;
let token = null;
let socket = null;
let localStream = null;
let iceServers = [];
// The current call: { role, peerUser, roomId, invitationId, peerId, pc, pendingCandidates, timer }.
let call = null;
// Invitation events that arrived while our own POST /v1/invitations was still in flight.
let earlyEvents = [];
// Exchange messages are handled one at a time, in arrival order.
let exchangeChain = Promise.resolve();
const connectTimeoutMs = 30000;
const deviceId = sessionStorage.getItem('deviceId') ?? `web-${randomId(8)}`;
sessionStorage.setItem('deviceId', deviceId);

// For tests and curious people: the page's state at a glance.
window.demo = {
  get callState() { return callState; },
  get pcState() { return call?.pc?.connectionState ?? 'none'; },
  get userId() { return userId; },
  get invitationId() { return call?.invitationId ?? null; },
  get roomId() { return call?.roomId ?? null; },
  get peerId() { return call?.peerId ?? null; },
  get socketId() { return socket?.id ?? null; },
  log: [],
};

function randomId(bytes = 12) {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');
}

function note(message) {
  const line = `${new Date().toISOString().slice(11, 23)} ${message}`;
  window.demo.log.push(line);
  console.log(`[demo] ${message}`);
}

function setStatus(message) {
  ui.status.textContent = message;
  note(`status: ${message}`);
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
  console.error(`[demo] ${message}`);
}

function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function setCallState(next) {
  note(`state: ${callState} -> ${next}`);
  callState = next;
  document.body.dataset.callState = next;
  ui.signInForm.hidden = next !== 'signed-out';
  ui.callForm.hidden = next !== 'idle';
  ui.outgoing.hidden = next !== 'calling';
  ui.incoming.hidden = next !== 'ringing';
  ui.inCall.hidden = next !== 'connecting' && next !== 'connected';
  for (const button of [ui.cancel, ui.accept, ui.refuse, ui.hangUp]) {
    button.disabled = false;
  }
  if (call) {
    ui.outgoingName.textContent = call.peerUser;
    ui.incomingName.textContent = call.peerUser;
    ui.peerName.textContent = call.peerUser;
  }
  setPcState(call?.pc?.connectionState ?? 'none');
}

function setPcState(state) {
  ui.pcState.textContent = state;
  document.body.dataset.pcState = state;
}

// --- REST ----------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  } else {
    // Development only: the server takes the user id from this header when no credentials are configured.
    headers['X-User-Id'] = userId;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new Error(`the server is unreachable (${err.message})`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    // Problem details: { title, detail, code }.
    const reason = json?.detail ?? json?.title ?? (text || response.statusText);
    const code = json?.code ? ` [${json.code}]` : '';
    throw new Error(`${reason}${code} (HTTP ${response.status})`);
  }
  return json;
}

// --- signing in ----------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  clearError();
  if (typeof io !== 'function') {
    showMissingClient();
    return;
  }
  userId = ui.userName.value.trim();
  token = ui.token.value.trim() || null;
  localStorage.setItem('userName', userId);
  ui.signIn.disabled = true;

  try {
    localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    ui.localVideo.srcObject = localStream;
  } catch (err) {
    // Still useful: calls then only receive.
    localStream = null;
    showError(`No camera or microphone (${err.name}: ${err.message}). Calls will only receive.`);
  }

  try {
    iceServers = (await api('GET', '/v1/ice-servers')).iceServers ?? [];
    note(`ICE servers: ${iceServers.map((s) => [].concat(s.urls).join(' ')).join(', ') || 'none (host candidates only)'}`);
  } catch (err) {
    showError(`Could not sign in: ${err.message}`);
    ui.signIn.disabled = false;
    return;
  }

  connectSocket();
}

function connectSocket() {
  socket = io({ auth: token ? { token, deviceId } : { userId, deviceId } });

  socket.on('connect', () => {
    note(`socket connected as ${socket.id}`);
    ui.whoami.textContent = `Signed in as ${userId}`;
    if (callState === 'signed-out') {
      setCallState('idle');
      setStatus(`Signed in as ${userId}. Call someone, or wait for a call.`);
    }
  });
  socket.on('connect_error', (err) => {
    const detail = err.data?.message ?? err.message;
    showError(`Cannot connect to the server: ${detail}`);
    if (callState === 'signed-out') {
      ui.signIn.disabled = false;
      socket.disconnect();
    }
  });
  socket.on('disconnect', (reason) => {
    note(`socket disconnected: ${reason}`);
    if (callState !== 'signed-out') {
      setStatus('Connection to the server lost; reconnecting…');
    }
    if (call && (callState === 'connecting' || callState === 'connected')) {
      // Rooms do not survive a new socket: the call cannot be signalled any more.
      endCall('The call ended: the connection to the server was lost.', { leaveRoom: false });
    }
  });

  socket.on('incomingInvitationReceived', onIncomingInvitation);
  socket.on('incomingInvitationCancelled', (e) => onInvitationEvent('incomingInvitationCancelled', e));
  socket.on('incomingInvitationTimeout', (e) => onInvitationEvent('incomingInvitationTimeout', e));
  socket.on('outgoingInvitationAccepted', (e) => onInvitationEvent('outgoingInvitationAccepted', e));
  socket.on('outgoingInvitationRejected', (e) => onInvitationEvent('outgoingInvitationRejected', e));
  socket.on('outgoingInvitationTimeout', (e) => onInvitationEvent('outgoingInvitationTimeout', e));
  socket.on('exchange', (data) => {
    exchangeChain = exchangeChain.then(() => onExchange(data));
  });
  socket.on('leave', onPeerLeft);
}

function showMissingClient() {
  showError('The Socket.IO client is missing (wwwroot/lib/socket.io.min.js). Install it from the repository root with\n'
    + '  npm ci --prefix src/Signaling.Server/WebDemo\nthen reload this page.');
  ui.signIn.disabled = true;
}

// --- outgoing calls ------------------------------------------------------------------------

async function startCall(event) {
  event.preventDefault();
  clearError();
  const callee = ui.callee.value.trim();
  if (callee === userId) {
    showError('You cannot call yourself.');
    return;
  }
  call = { role: 'caller', peerUser: callee, roomId: `call-${randomId()}`, invitationId: null };
  earlyEvents = [];
  setCallState('calling');
  setStatus(`Calling ${callee}…`);
  try {
    const sent = await api('POST', '/v1/invitations', { invitees: [callee], roomId: call.roomId });
    call.invitationId = sent.invitationId;
    note(`invitation ${sent.invitationId} sent to ${callee}, room ${call.roomId}`);
  } catch (err) {
    showError(`Could not call ${callee}: ${err.message}`);
    resetToIdle();
    return;
  }
  const early = earlyEvents.filter((e) => e.data.invitationId === call.invitationId);
  earlyEvents = [];
  for (const e of early) {
    onInvitationEvent(e.name, e.data);
  }
}

async function cancelCall() {
  if (!call?.invitationId) {
    return;
  }
  ui.cancel.disabled = true;
  try {
    await api('POST', `/v1/invitations/${encodeURIComponent(call.invitationId)}/cancel`, {});
    setStatus(`You cancelled the call to ${call.peerUser}.`);
    resetToIdle();
  } catch (err) {
    // E.g. already answered: the accepted or rejected event follows.
    showError(`Could not cancel: ${err.message}`);
    ui.cancel.disabled = false;
  }
}

// --- incoming calls ------------------------------------------------------------------------

function onIncomingInvitation(e) {
  note(`incomingInvitationReceived ${e.invitationId} from ${e.inviter}`);
  if (call?.invitationId === e.invitationId) {
    return; // Told again after a reconnect.
  }
  if (callState !== 'idle') {
    note(`busy: refusing ${e.invitationId}`);
    api('POST', `/v1/invitations/${encodeURIComponent(e.invitationId)}/refuse`, { deviceId, reason: 'busy' })
      .catch((err) => note(`busy refusal failed: ${err.message}`));
    return;
  }
  clearError();
  call = { role: 'callee', peerUser: e.inviter, roomId: e.roomId, invitationId: e.invitationId };
  setCallState('ringing');
  setStatus(`${e.inviter} is calling you.`);
}

async function acceptCall() {
  ui.accept.disabled = true;
  ui.refuse.disabled = true;
  const current = call;
  try {
    const accepted = await api('POST', `/v1/invitations/${encodeURIComponent(current.invitationId)}/accept`, { deviceId });
    if (Array.isArray(accepted.iceServers)) {
      iceServers = accepted.iceServers;
    }
    current.roomId = accepted.roomId ?? current.roomId;
  } catch (err) {
    showError(`Could not accept: ${err.message}`);
    if (call === current) {
      resetToIdle();
    }
    return;
  }
  if (call === current) {
    if (!current.roomId) {
      showError('The invitation names no room: nothing to join.');
      resetToIdle();
      return;
    }
    joinRoom();
  }
}

async function refuseCall() {
  ui.accept.disabled = true;
  ui.refuse.disabled = true;
  const current = call;
  try {
    await api('POST', `/v1/invitations/${encodeURIComponent(current.invitationId)}/refuse`, { deviceId, reason: 'decline' });
    setStatus(`You refused the call from ${current.peerUser}.`);
  } catch (err) {
    showError(`Could not refuse: ${err.message}`);
  }
  if (call === current) {
    resetToIdle();
  }
}

// --- invitation events about the current call ----------------------------------------------

const cancelReasons = {
  callerCancelled: (e) => `${e.inviter} cancelled the call.`,
  answeredElsewhere: () => 'You answered on another device.',
  declinedElsewhere: () => 'You declined on another device.',
  answeredByOther: (e) => `${e.answeredUserId ?? 'Someone else'} answered the call.`,
};

function onInvitationEvent(name, e) {
  note(`${name} ${e.invitationId} v${e.version}`);
  if (call && call.role === 'caller' && !call.invitationId && name.startsWith('outgoing')) {
    earlyEvents.push({ name, data: e });
    return;
  }
  if (!call || call.invitationId !== e.invitationId) {
    return;
  }
  switch (name) {
    case 'incomingInvitationCancelled':
      if (callState === 'ringing') {
        setStatus((cancelReasons[e.reason] ?? (() => `The call was cancelled (${e.reason}).`))(e));
        resetToIdle();
      }
      break;
    case 'incomingInvitationTimeout':
      if (callState === 'ringing') {
        setStatus(`Missed call from ${e.inviter}.`);
        resetToIdle();
      }
      break;
    case 'outgoingInvitationAccepted':
      if (callState === 'calling') {
        setStatus(`${e.invitee} accepted. Connecting…`);
        joinRoom();
      }
      break;
    case 'outgoingInvitationRejected':
      if (callState === 'calling') {
        setStatus(`${e.invitee} refused the call${e.reason ? ` (${e.reason})` : ''}.`);
        resetToIdle();
      }
      break;
    case 'outgoingInvitationTimeout':
      if (callState === 'calling') {
        setStatus(`${call.peerUser} did not answer.`);
        resetToIdle();
      }
      break;
  }
}

// --- the room and the peer connection ------------------------------------------------------

function joinRoom() {
  const current = call;
  setCallState('connecting');
  current.timer = setTimeout(() => {
    if (call === current && callState === 'connecting') {
      failCall(`No media connection with ${current.peerUser} after ${connectTimeoutMs / 1000} s.`);
    }
  }, connectTimeoutMs);
  socket.timeout(10000).emit('join', current.roomId, (err, peers) => {
    if (call !== current) {
      return;
    }
    if (err || !Array.isArray(peers)) {
      showError(`Could not join the call's room: ${err?.message ?? peers?.error?.message ?? 'no answer'}`);
      endCall('The call could not start.');
      return;
    }
    note(`joined ${current.roomId}; already there: [${peers.join(', ')}]`);
    if (peers.length > 0) {
      // We came second: we make the offer.
      offerTo(peers[0]).catch((e) => failCall(`Could not start the call: ${e.message}`));
    }
  });
}

function createPeer(peerId) {
  const pc = new RTCPeerConnection({ iceServers });
  call.pc = pc;
  call.peerId = peerId;
  call.pendingCandidates = [];
  if (localStream) {
    for (const track of localStream.getTracks()) {
      pc.addTrack(track, localStream);
    }
  } else {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
  }
  pc.onicecandidate = ({ candidate }) => {
    if (candidate) {
      socket.emit('exchange', { to: peerId, candidate });
    }
  };
  pc.ontrack = ({ track, streams }) => {
    note(`remote ${track.kind} track`);
    ui.remoteVideo.srcObject = streams[0] ?? new MediaStream([track]);
    ui.remoteCaption.textContent = call?.peerUser ?? '';
    playRemote();
  };
  pc.onconnectionstatechange = () => {
    const state = pc.connectionState;
    note(`peer connection: ${state}`);
    if (call?.pc !== pc) {
      return;
    }
    setPcState(state);
    if (state === 'connected' && callState === 'connecting') {
      setCallState('connected');
      setStatus('Connected: you see each other.');
    } else if (state === 'failed') {
      failCall('The media connection failed: the browsers found no route to each other (a TURN server may be needed; see Ice:TurnUrls).');
    }
  };
  return pc;
}

async function offerTo(peerId) {
  const pc = createPeer(peerId);
  await pc.setLocalDescription(await pc.createOffer());
  socket.emit('exchange', { to: peerId, sdp: pc.localDescription });
}

async function onExchange(data) {
  if (!call || (callState !== 'connecting' && callState !== 'connected')) {
    note(`exchange from ${data.from} ignored: no call`);
    return;
  }
  if (!call.pc) {
    createPeer(data.from);
  }
  if (data.from !== call.peerId) {
    note(`exchange from ${data.from} ignored: not our peer`);
    return;
  }
  const pc = call.pc;
  try {
    if (data.sdp) {
      await pc.setRemoteDescription(data.sdp);
      for (const candidate of call.pendingCandidates.splice(0)) {
        await pc.addIceCandidate(candidate);
      }
      if (data.sdp.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        socket.emit('exchange', { to: data.from, sdp: pc.localDescription });
      }
    } else if (data.candidate) {
      if (pc.remoteDescription) {
        await pc.addIceCandidate(data.candidate);
      } else {
        call.pendingCandidates.push(data.candidate);
      }
    }
  } catch (err) {
    failCall(`WebRTC error: ${err.message}`);
  }
}

function playRemote() {
  ui.remoteVideo.play().catch(() => {
    // Autoplay with sound needs a user gesture; muted playback never does.
    note('autoplay with sound refused: playing muted');
    ui.remoteVideo.muted = true;
    ui.remoteVideo.play().catch((err) => note(`remote video cannot play: ${err.message}`));
  });
}

function onPeerLeft(socketId) {
  note(`leave ${socketId}`);
  if (call && call.peerId === socketId) {
    endCall(`${call.peerUser} hung up.`);
  }
}

function hangUp() {
  if (call) {
    endCall('You hung up.');
  }
}

function failCall(message) {
  showError(message);
  if (call) {
    endCall('The call ended.');
  }
}

function endCall(message, { leaveRoom = true } = {}) {
  const current = call;
  if (leaveRoom && current?.roomId && socket?.connected) {
    socket.emit('leave', current.roomId);
  }
  current?.pc?.close();
  ui.remoteVideo.srcObject = null;
  ui.remoteCaption.textContent = 'Nobody yet';
  setStatus(message);
  resetToIdle();
}

function resetToIdle() {
  clearTimeout(call?.timer);
  call = null;
  earlyEvents = [];
  setCallState(socket ? 'idle' : 'signed-out');
}

// --- wiring --------------------------------------------------------------------------------

ui.signInForm.addEventListener('submit', signIn);
ui.callForm.addEventListener('submit', startCall);
ui.cancel.addEventListener('click', cancelCall);
ui.accept.addEventListener('click', acceptCall);
ui.refuse.addEventListener('click', refuseCall);
ui.hangUp.addEventListener('click', hangUp);
ui.userName.value = localStorage.getItem('userName') ?? '';
setCallState('signed-out');
if (typeof io !== 'function') {
  showMissingClient();
}
