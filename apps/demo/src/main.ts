/**
 * @module The demo page: join a room by name, publish the camera, show every other endpoint's
 * streams in a grid. `window.atriumDemo` exposes the live state to end-to-end tests.
 */
import {
  join,
  type LocalStream,
  type LocalTrack,
  type RemoteEndpoint,
  type RemoteTrack,
  type Room,
  type Subscription,
} from '@atrium/sdk';
import { DemoRequestError, describeError } from './describe-error.js';
import { StreamTile } from './stream-tile.js';
import './style.css';

type DemoState = 'idle' | 'joining' | 'joined' | 'left' | 'error';

/** What the page exposes as `window.atriumDemo`. */
export interface AtriumDemo {
  /** The joined room, or null before joining and after leaving. */
  room: Room | null;
  /** The current subscriptions, one per remote stream shown. */
  subscriptions: Subscription[];
  state: DemoState;
  /** The last error shown to the user. */
  error?: string;
}

declare global {
  interface Window {
    atriumDemo: AtriumDemo;
  }
}

/** The server's answer to `POST /demo/api/join`. */
interface JoinGrant {
  roomId: string;
  token: string;
  /** Lets the SDK refresh the token before it expires, so long calls go on. */
  refreshToken: string;
  endpointId: string;
}

/** A remote stream on screen: its tile, and its subscription once the subscribe call returned. */
interface RemoteStreamView {
  endpointId: string;
  tile: StreamTile;
  subscription: Subscription | null;
}

/** What one join holds on to until leave or the end of the room session. */
interface Session {
  room: Room;
  media: MediaStream | null;
  local: LocalStream | null;
  leaving: boolean;
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`demo page is missing #${id}`);
  return found;
}

const ui = {
  form: element('join-form', HTMLFormElement),
  name: element('name', HTMLInputElement),
  room: element('room', HTMLInputElement),
  joinButton: element('join', HTMLButtonElement),
  status: element('status', HTMLElement),
  roomTitle: element('room-title', HTMLElement),
  error: element('error', HTMLElement),
  notice: element('notice', HTMLElement),
  call: element('call', HTMLElement),
  grid: element('grid', HTMLElement),
  localVideo: element('local-video', HTMLVideoElement),
  localName: element('local-name', HTMLElement),
  mic: element('toggle-mic', HTMLButtonElement),
  camera: element('toggle-camera', HTMLButtonElement),
  leave: element('leave', HTMLButtonElement),
};

const demo: AtriumDemo = { room: null, subscriptions: [], state: 'idle' };
window.atriumDemo = demo;

const statusText: Record<DemoState, string> = {
  idle: 'Not connected',
  joining: 'Joining…',
  joined: 'Connected',
  left: 'Left the room',
  error: 'Error',
};

let session: Session | null = null;
const remoteStreams = new Map<string, RemoteStreamView>();

function setState(state: DemoState): void {
  demo.state = state;
  ui.status.dataset['state'] = state;
  ui.status.textContent = statusText[state];
  const inCall = state === 'joined';
  ui.call.hidden = !inCall;
  ui.form.hidden = inCall;
  ui.joinButton.disabled = state === 'joining';
  ui.roomTitle.hidden = !inCall;
}

function showError(message: string | null): void {
  if (message === null) delete demo.error;
  else demo.error = message;
  ui.error.textContent = message ?? '';
  ui.error.hidden = message === null;
}

function showNotice(message: string | null): void {
  ui.notice.textContent = message ?? '';
  ui.notice.hidden = message === null;
}

function streamKey(endpointId: string, tag: string): string {
  return `${endpointId}\n${tag}`;
}

function syncSubscriptions(): void {
  demo.subscriptions = [...remoteStreams.values()].flatMap((view) => (view.subscription ? [view.subscription] : []));
}

async function requestJoin(room: string, name: string): Promise<JoinGrant> {
  const response = await fetch('/demo/api/join', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room, name }),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = isRecord(body) && isRecord(body['error']) ? body['error'] : {};
    const code = typeof error['code'] === 'string' ? error['code'] : `HTTP_${response.status}`;
    const message = typeof error['message'] === 'string' ? error['message'] : response.statusText || 'Request failed';
    throw new DemoRequestError(code, message);
  }
  if (
    !isRecord(body) ||
    typeof body['roomId'] !== 'string' ||
    typeof body['token'] !== 'string' ||
    typeof body['refreshToken'] !== 'string' ||
    typeof body['endpointId'] !== 'string'
  ) {
    throw new DemoRequestError('BAD_RESPONSE', 'The server answered the join request with an unexpected body');
  }
  return { roomId: body['roomId'], token: body['token'], refreshToken: body['refreshToken'], endpointId: body['endpointId'] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Initial muted flags of a stream's tracks: the endpoint's track objects, else the stream description. */
function streamTracks(endpoint: RemoteEndpoint, tag: string): Array<{ kind: string; muted: boolean }> {
  const tracks = endpoint.tracks.filter((track) => track.tag === tag);
  return tracks.length > 0 ? tracks : (endpoint.streams.find((stream) => stream.tag === tag)?.tracks ?? []);
}

async function showRemoteStream(current: Session, endpoint: RemoteEndpoint, tag: string): Promise<void> {
  const key = streamKey(endpoint.id, tag);
  if (remoteStreams.has(key)) return;
  const view: RemoteStreamView = { endpointId: endpoint.id, tile: new StreamTile(endpoint, tag), subscription: null };
  for (const track of streamTracks(endpoint, tag)) {
    if (track.kind === 'audio' || track.kind === 'video') view.tile.setMuted(track.kind, track.muted);
  }
  remoteStreams.set(key, view);
  ui.grid.append(view.tile.element);

  let subscription: Subscription;
  try {
    subscription = await current.room.localEndpoint.subscribe(endpoint, tag);
  } catch (err) {
    if (remoteStreams.get(key) === view) removeRemoteStream(key);
    if (session === current) showError(`Could not subscribe to ${endpoint.name || endpoint.id} (${tag}): ${describeError(err)}`);
    return;
  }
  // The stream may have gone, or we may have left, while the subscribe call was in flight.
  if (remoteStreams.get(key) !== view || session !== current) {
    void subscription.unsubscribe().catch(() => undefined);
    return;
  }
  view.subscription = subscription;
  view.tile.attach(subscription.mediaStream);
  view.tile.observeSize((width, height) => void subscription.setVideoSize(width, height).catch(() => undefined));
  syncSubscriptions();
}

function removeRemoteStream(key: string): void {
  const view = remoteStreams.get(key);
  if (!view) return;
  remoteStreams.delete(key);
  view.tile.remove();
  syncSubscriptions();
}

function removeRemoteEndpoint(endpointId: string): void {
  for (const [key, view] of remoteStreams) {
    if (view.endpointId === endpointId) removeRemoteStream(key);
  }
}

function watchRoom(current: Session): void {
  const { room } = current;
  const subscribeAll = (endpoint: RemoteEndpoint): void => {
    for (const stream of endpoint.streams) void showRemoteStream(current, endpoint, stream.tag);
  };
  room.on('endpoint.joined', (endpoint: RemoteEndpoint) => subscribeAll(endpoint));
  room.on('endpoint.left', (endpoint: RemoteEndpoint) => removeRemoteEndpoint(endpoint.id));
  room.on('stream.published', (endpoint: RemoteEndpoint, stream: { tag: string }) => {
    void showRemoteStream(current, endpoint, stream.tag);
  });
  room.on('stream.unpublished', (endpoint: RemoteEndpoint, tag: string) => {
    removeRemoteStream(streamKey(endpoint.id, tag));
  });
  room.on('track.updated', (endpoint: RemoteEndpoint, track: RemoteTrack) => {
    remoteStreams.get(streamKey(endpoint.id, track.tag))?.tile.setMuted(track.kind, track.muted);
  });
  room.on('finished', (reason: string) => {
    if (session !== current) return;
    endSession();
    setState('left');
    if (!current.leaving) showNotice(`The room session ended (${reason}).`);
  });
  for (const endpoint of room.endpoints) subscribeAll(endpoint);
}

async function getCameraAndMicrophone(): Promise<MediaStream | null> {
  try {
    // 1280×720 lets the browser send all three simulcast layers (it sends fewer for small video).
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
  } catch (err) {
    showNotice(`Joining without camera and microphone: ${describeError(err)}`);
    return null;
  }
}

async function joinRoom(roomName: string, name: string): Promise<void> {
  if (demo.state === 'joining' || demo.state === 'joined') return;
  setState('joining');
  showError(null);
  showNotice(null);

  let media: MediaStream | null = null;
  let current: Session | null = null;
  try {
    const grant = await requestJoin(roomName, name);
    media = await getCameraAndMicrophone();
    const { room } = await join(grant.roomId, grant.token, { refreshToken: grant.refreshToken });
    current = { room, media, local: null, leaving: false };
    session = current;
    demo.room = room;
    watchRoom(current);

    if (media) {
      ui.localVideo.srcObject = media;
      try {
        current.local = await room.publish('camera', media, { simulcast: true });
      } catch (err) {
        showError(`Could not publish the camera: ${describeError(err)}`);
      }
    }
    if (session !== current) return; // the room session ended while publishing
    ui.roomTitle.textContent = room.title || roomName;
    ui.localName.textContent = `${room.localEndpoint.name || name} (you)`;
    updateControls();
    setState('joined');
  } catch (err) {
    if (current && session === current) {
      current.leaving = true;
      await current.room.leave().catch(() => undefined);
      endSession();
    }
    for (const track of media?.getTracks() ?? []) track.stop();
    showError(describeError(err));
    setState('error');
  }
}

/** Forgets the current room session: tiles, subscriptions, local media. Idempotent. */
function endSession(): void {
  const ended = session;
  session = null;
  for (const key of [...remoteStreams.keys()]) removeRemoteStream(key);
  for (const track of ended?.media?.getTracks() ?? []) track.stop();
  ui.localVideo.srcObject = null;
  demo.room = null;
  demo.subscriptions = [];
}

async function leaveRoom(): Promise<void> {
  const current = session;
  if (!current) return;
  current.leaving = true;
  ui.leave.disabled = true;
  try {
    await current.room.leave();
  } catch (err) {
    showError(`Leaving did not complete cleanly: ${describeError(err)}`);
  } finally {
    ui.leave.disabled = false;
  }
  if (session === current) endSession();
  setState('left');
}

function localTrack(kind: 'audio' | 'video'): LocalTrack | undefined {
  return session?.local?.tracks.find((track) => track.kind === kind);
}

function updateControls(): void {
  const controls = [
    [ui.mic, localTrack('audio'), 'Mic'],
    [ui.camera, localTrack('video'), 'Camera'],
  ] as const;
  for (const [button, track, label] of controls) {
    button.disabled = !track;
    const on = track?.enabled ?? false;
    button.textContent = `${label} ${on ? 'on' : 'off'}`;
    button.setAttribute('aria-pressed', String(on));
  }
}

async function toggleTrack(kind: 'audio' | 'video', button: HTMLButtonElement): Promise<void> {
  const track = localTrack(kind);
  if (!track) return;
  button.disabled = true;
  try {
    if (track.enabled) await track.disable();
    else await track.enable();
  } catch (err) {
    showError(describeError(err));
  } finally {
    updateControls();
  }
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  const room = ui.room.value.trim();
  if (name && room) void joinRoom(room, name);
});
ui.mic.addEventListener('click', () => void toggleTrack('audio', ui.mic));
ui.camera.addEventListener('click', () => void toggleTrack('video', ui.camera));
ui.leave.addEventListener('click', () => void leaveRoom());
window.addEventListener('pagehide', () => {
  if (session) void session.room.leave().catch(() => undefined);
});

const params = new URLSearchParams(location.search);
ui.room.value = params.get('room') ?? '';
ui.name.value = params.get('name') ?? '';
setState('idle');
if (params.get('autojoin') === '1' && ui.room.value.trim() && ui.name.value.trim()) {
  void joinRoom(ui.room.value.trim(), ui.name.value.trim());
}
