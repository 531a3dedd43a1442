// Spoken answers: the mic button, level meter, live transcript, camera toggle, nudges and the
// fallbacks, with getUserMedia / RTCPeerConnection / AudioContext replaced by fakes (jsdom has none).
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { ArenaContext } from './useArena';
import { makeArena, matchFixture, type Harness } from './test/fakes';
import { floatToPcm16, PcmChunker, Resampler } from './mic/pcm';
import { applyAudio, applyEdit, applyStream, liveInit, shownText } from './mic/transcript';
import { dbToLevel } from './mic/session';

// ---- browser API fakes ---------------------------------------------------------------------
class FakeTrack {
  stopped = false;
  constructor(public kind: 'audio' | 'video') {}
  stop() {
    this.stopped = true;
  }
}
class FakeStream {
  constructor(public tracks: FakeTrack[]) {}
  getTracks() {
    return this.tracks;
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === 'video');
  }
}

let amplitude = 0.1;
let sampleRate = 48000;
const scriptNodes: any[] = [];
class FakeAudioContext {
  static instances: FakeAudioContext[] = [];
  sampleRate = sampleRate;
  destination = {};
  closed = false;
  constructor() {
    FakeAudioContext.instances.push(this);
  }
  node() {
    return { connect: vi.fn(), disconnect: vi.fn() };
  }
  createMediaStreamSource() {
    return this.node();
  }
  createAnalyser() {
    return { ...this.node(), fftSize: 2048, getFloatTimeDomainData: (b: Float32Array) => b.fill(amplitude) };
  }
  createGain() {
    return { ...this.node(), gain: { value: 1 } };
  }
  createScriptProcessor() {
    const n: any = { ...this.node(), onaudioprocess: null };
    scriptNodes.push(n);
    return n;
  }
  resume() {
    return Promise.resolve();
  }
  close() {
    this.closed = true;
    return Promise.resolve();
  }
}

class FakePC {
  static instances: FakePC[] = [];
  config: any;
  iceGatheringState = 'new';
  connectionState = 'new';
  localDescription: any = null;
  remote: any = null;
  closed = false;
  tracks: FakeTrack[] = [];
  replaced: (FakeTrack | null)[] = [];
  listeners: Record<string, ((e: any) => void)[]> = {};
  constructor(config: any) {
    this.config = config;
    FakePC.instances.push(this);
  }
  sender() {
    return { replaceTrack: async (t: FakeTrack | null) => void this.replaced.push(t) };
  }
  addTrack(t: FakeTrack) {
    this.tracks.push(t);
    return this.sender();
  }
  addTransceiver(kind: string) {
    return { kind, sender: this.sender() };
  }
  async createOffer() {
    return { type: 'offer', sdp: 'v=0 fake-offer' };
  }
  async setLocalDescription(d: any) {
    this.iceGatheringState = 'gathering';
    this.localDescription = { ...d, sdp: `${d.sdp}\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host` };
    setTimeout(() => {
      this.iceGatheringState = 'complete';
      for (const fn of this.listeners.icegatheringstatechange ?? []) fn({});
    }, 5);
  }
  async setRemoteDescription(d: any) {
    this.remote = d;
  }
  addEventListener(name: string, fn: (e: any) => void) {
    (this.listeners[name] ??= []).push(fn);
  }
  removeEventListener(name: string, fn: (e: any) => void) {
    this.listeners[name] = (this.listeners[name] ?? []).filter((f) => f !== fn);
  }
  close() {
    this.closed = true;
  }
}

let streams: FakeStream[] = [];
let gum: ReturnType<typeof vi.fn>;

beforeEach(() => {
  amplitude = 0.1;
  sampleRate = 48000;
  streams = [];
  scriptNodes.length = 0;
  FakePC.instances = [];
  FakeAudioContext.instances = [];
  gum = vi.fn(async (c: MediaStreamConstraints) => {
    const s = new FakeStream([new FakeTrack(c.video ? 'video' : 'audio')]);
    streams.push(s);
    return s;
  });
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia: gum }, configurable: true });
  vi.stubGlobal('RTCPeerConnection', FakePC);
  vi.stubGlobal('AudioContext', FakeAudioContext);
  HTMLMediaElement.prototype.play = vi.fn(async () => undefined) as any;
});
afterEach(() => {
  vi.unstubAllGlobals();
  Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });
});

function mount(h: Harness) {
  return render(
    <ArenaContext.Provider value={h.arena}>
      <App />
    </ArenaContext.Provider>,
  );
}

async function myTurn(opts: Parameters<typeof makeArena>[0] = {}, state = matchFixture()) {
  const h = makeArena({
    ...opts,
    replies: {
      join_room: () => ({ ok: true, state }),
      media_offer: () => ({ ok: true, sdp: 'v=0 fake-answer', type: 'answer' }),
      ...(opts.replies ?? {}),
    },
  });
  h.arena.connect();
  h.socket().connect();
  h.socket().push('connection_ack', { user_id: 'u1', server_time_ms: h.clock.now, protocol_version: 1 });
  await h.arena.joinRoom({ room_id: state.room_id, role: state.you.role });
  const utils = mount(h);
  return { h, ...utils };
}

const micButton = () => screen.getByTestId('mic-toggle');
const allTracks = () => streams.flatMap((s) => s.tracks);

describe('Mic button', () => {
  it('opens the mic, sends a non-trickle WebRTC offer with no ICE servers, applies the answer, and stops', async () => {
    const { h } = await myTurn();
    expect(micButton()).toHaveAttribute('aria-pressed', 'false');
    expect(micButton()).toHaveTextContent('Answer out loud');
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('Listening — speak now'));
    expect(micButton()).toHaveAttribute('aria-pressed', 'true');
    expect(micButton()).toHaveTextContent('Stop microphone');
    expect(gum).toHaveBeenCalledWith(expect.objectContaining({ audio: expect.anything(), video: false }));
    const pc = FakePC.instances[0];
    expect(pc.config).toEqual({ iceServers: [] });
    expect(pc.tracks.map((t) => t.kind)).toEqual(['audio']);
    const offer = h.socket().sentOf('media_offer')[0];
    expect(offer.type).toBe('offer');
    expect(offer.sdp).toContain('a=candidate'); // sent after gathering completed
    expect(pc.remote).toEqual({ type: 'answer', sdp: 'v=0 fake-answer' });

    await userEvent.click(micButton());
    expect(micButton()).toHaveAttribute('aria-pressed', 'false');
    expect(allTracks().every((t) => t.stopped)).toBe(true);
    expect(pc.closed).toBe(true);
    expect(FakeAudioContext.instances[0].closed).toBe(true);
  });

  it('offers again when the room media sidecar died and another took the room (media_moved)', async () => {
    const { h } = await myTurn();
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('Listening — speak now'));
    expect(h.socket().sentOf('media_offer')).toHaveLength(1);
    act(() => h.socket().push('error_message', { code: 'media_moved', message: 'moved' }));
    await waitFor(() => expect(h.socket().sentOf('media_offer')).toHaveLength(2));
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('Listening — speak now'));
    expect(FakePC.instances[0].closed).toBe(true);
    expect(FakePC.instances[1].remote).toEqual({ type: 'answer', sdp: 'v=0 fake-answer' });
  });

  it('works from the keyboard', async () => {
    await myTurn();
    micButton().focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(micButton()).toHaveAttribute('aria-pressed', 'true'));
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    await userEvent.keyboard(' ');
    expect(micButton()).toHaveAttribute('aria-pressed', 'false');
  });

  it('is disabled when it is not your turn', async () => {
    await myTurn({}, matchFixture({ turn: { participant_id: 'u2', deadline_ms: 1_020_000 } }));
    expect(screen.queryByTestId('mic-toggle')).toBeNull();
  });

  it('releases the mic and closes the peer connection when the turn ends, on submit, and on unmount', async () => {
    const { h, unmount } = await myTurn({ replies: { submit_answer: () => ({ ok: true, answer_id: 'a9' }) } });
    // turn end
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    act(() => h.socket().push('turn_started', { seq: 41, room_id: 'r1', participant_id: 'u2', question_id: 'q1', deadline_ms: 1_040_000 }));
    await waitFor(() => expect(FakePC.instances[0].closed).toBe(true));
    expect(allTracks().every((t) => t.stopped)).toBe(true);
    unmount();

    // submit
    streams = [];
    const b = await myTurn({ replies: { submit_answer: () => ({ ok: true, answer_id: 'a9' }) } });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    fireEvent.change(screen.getByLabelText(/Your answer/), { target: { value: 'I led the migration.' } });
    await userEvent.click(screen.getByTestId('submit-answer'));
    expect(FakePC.instances[1].closed).toBe(true);
    expect(allTracks().every((t) => t.stopped)).toBe(true);
    await waitFor(() => expect(b.h.socket().sentOf('submit_answer')).toEqual([{ text: 'I led the migration.' }]));
    b.unmount();

    // unmount
    streams = [];
    const c = await myTurn();
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    c.unmount();
    expect(FakePC.instances[2].closed).toBe(true);
    expect(allTracks().every((t) => t.stopped)).toBe(true);
  });
});

describe('Level meter', () => {
  it('shows the microphone RMS as a bar (−20 dBFS → 67%) and drops to 0 when stopped', async () => {
    await myTurn();
    const meter = screen.getByRole('meter', { name: 'Microphone level' });
    expect(meter).toHaveAttribute('aria-valuenow', '0');
    amplitude = 0.1; // RMS 0.1 = −20 dBFS
    await userEvent.click(micButton());
    await waitFor(() => expect(meter).toHaveAttribute('aria-valuenow', '67'));
    expect((meter.firstChild as HTMLElement).style.width).toBe('67%');
    await userEvent.click(micButton());
    expect(meter).toHaveAttribute('aria-valuenow', '0');
  });

  it('maps dBFS to 0..1', () => {
    expect(dbToLevel(0)).toBe(0);
    expect(dbToLevel(1)).toBe(1);
    expect(dbToLevel(0.001)).toBe(0);
    expect(dbToLevel(0.1)).toBeCloseTo(2 / 3);
  });
});

describe('Live transcript', () => {
  it('shows partials and finals in the answer box, stays editable, and keeps the server draft in step', async () => {
    const { h } = await myTurn();
    const box = screen.getByLabelText(/Your answer/) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'Situation:' } });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    act(() => h.socket().push('audio_processed', { seq: 1, transcript: 'our deploys', is_final: false }));
    expect(box.value).toBe('Situation: our deploys');
    act(() => h.socket().push('audio_processed', { seq: 2, transcript: 'our deploys failed weekly.', is_final: true }));
    expect(box.value).toBe('Situation: our deploys failed weekly.');
    await waitFor(() => expect(h.socket().sentOf('answer_draft').at(-1)).toEqual({ text: 'Situation: our deploys failed weekly.' }), { timeout: 1000 });
    // The player fixes a word; the next utterance is appended to the edited text.
    fireEvent.change(box, { target: { value: 'Situation: our deploys failed every week.' } });
    act(() => h.socket().push('audio_processed', { seq: 3, transcript: 'I added canaries.', is_final: true }));
    expect(box.value).toBe('Situation: our deploys failed every week. I added canaries.');
  });

  it('uses our own answer_stream as the transcript until audio_processed arrives, but not echoes of our typing', async () => {
    const { h } = await myTurn();
    const box = screen.getByLabelText(/Your answer/) as HTMLTextAreaElement;
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    act(() => h.socket().push('answer_stream', { seq: 41, room_id: 'r1', participant_id: 'u1', text: 'I led a team' }));
    expect(box.value).toBe('I led a team');
  });

  it('keeps partial/final bookkeeping pure', () => {
    let l = liveInit('A');
    l = applyStream(l, 'spoken only'); // does not carry "A": ignored
    expect(shownText(l)).toBe('A');
    l = applyAudio(l, { transcript: 'b', is_final: false });
    expect(shownText(l)).toBe('A b');
    l = applyAudio(l, { transcript: 'b c', is_final: true });
    l = applyEdit(l, 'A B C');
    l = applyAudio(l, { transcript: 'd', is_final: false });
    expect(shownText(l)).toBe('A B C d');
  });

  it('after a restart (speech moved to another sidecar) the new finals replace the old, and the box never shrinks meanwhile', () => {
    let l = liveInit('Typed.');
    l = applyAudio(l, { transcript: 'I led the review', is_final: true });
    l = applyAudio(l, { transcript: 'and added', is_final: false });
    expect(shownText(l)).toBe('Typed. I led the review and added');
    l = applyAudio(l, { transcript: '', is_final: false, restart: true });
    expect(shownText(l)).toBe('Typed. I led the review and added'); // held while the new sidecar catches up
    l = applyAudio(l, { transcript: 'I led', is_final: false });
    expect(shownText(l)).toBe('Typed. I led the review and added');
    l = applyAudio(l, { transcript: 'I led the review and added circuit breakers.', is_final: true });
    expect(shownText(l)).toBe('Typed. I led the review and added circuit breakers.'); // no doubled words
    l = applyAudio(l, { transcript: 'Then', is_final: false });
    expect(shownText(l)).toBe('Typed. I led the review and added circuit breakers. Then');
  });
});

describe('Camera', () => {
  it('adds the camera track when the toggle is on, and swaps it without renegotiating mid-answer', async () => {
    await myTurn();
    const cam = screen.getByTestId('camera-toggle');
    expect(cam).toHaveAttribute('aria-pressed', 'false');
    await userEvent.click(cam);
    expect(cam).toHaveAttribute('aria-pressed', 'true');
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live'));
    expect(FakePC.instances[0].tracks.map((t) => t.kind)).toEqual(['audio', 'video']);
    expect(screen.getByLabelText('Your camera').tagName).toBe('VIDEO');
    await userEvent.click(cam); // off
    await waitFor(() => expect(FakePC.instances[0].replaced).toEqual([null]));
    expect(streams[1].tracks[0].stopped).toBe(true);
    await userEvent.click(cam); // on again
    await waitFor(() => expect(FakePC.instances[0].replaced.length).toBe(2));
    expect(FakePC.instances[0].replaced[1]?.kind).toBe('video');
    expect(FakePC.instances.length).toBe(1);
    expect(screen.getAllByTestId('mic-panel')).toHaveLength(1);
  });
});

describe('Nudges', () => {
  it('shows real_time_feedback for you as small toasts; expression is marked advisory', async () => {
    const { h } = await myTurn();
    act(() => h.socket().push('real_time_feedback', { room_id: 'r1', participant_id: 'u1', kind: 'pace', message: 'Slow down: about 195 words per minute (aim for 140-160).' }));
    act(() => h.socket().push('real_time_feedback', { room_id: 'r1', participant_id: 'u2', kind: 'volume', message: 'Speak up: your voice is quiet.' }));
    act(() => h.socket().push('real_time_feedback', { room_id: 'r1', participant_id: 'u1', kind: 'expression', message: 'expression: happy' }));
    const region = screen.getByTestId('nudges');
    expect(region).toHaveTextContent('Pace');
    expect(region).toHaveTextContent('Slow down: about 195 words per minute');
    expect(region).not.toHaveTextContent('Speak up'); // someone else's
    const expr = region.querySelector('[data-kind=expression]')!;
    expect(expr).toHaveTextContent('advisory, not scored');
    expect(expr).toHaveTextContent('You look happy.');
    expect(region.querySelector('[data-kind=pace]')).not.toHaveTextContent('advisory');
    await userEvent.click(region.querySelectorAll('button')[0] as HTMLElement);
    expect(region).not.toHaveTextContent('Slow down');
  });

  it('speaks Korean', async () => {
    const { h } = await myTurn({ lang: 'ko' });
    expect(micButton()).toHaveTextContent('말로 답변하기');
    act(() => h.socket().push('real_time_feedback', { room_id: 'r1', participant_id: 'u1', kind: 'pace', message: 'Slow down: about 195 words per minute (aim for 140-160).' }));
    act(() => h.socket().push('real_time_feedback', { room_id: 'r1', participant_id: 'u1', kind: 'expression', message: 'You look tense: relax your shoulders and smile when it fits.' }));
    const region = screen.getByTestId('nudges');
    expect(region).toHaveTextContent('속도');
    expect(region).toHaveTextContent('분당 약 195단어');
    expect(region).toHaveTextContent('참고용, 채점 안 함');
  });
});

describe('Fallbacks', () => {
  it('media_unavailable → 16 kHz 16-bit PCM audio_chunks of 100 ms with increasing seq', async () => {
    const { h } = await myTurn({ replies: { media_offer: () => ({ ok: false, error: { code: 'media_unavailable', message: 'no sidecar' } }) } });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live-pcm'));
    expect(screen.getByTestId('mic-status')).toHaveTextContent('compatibility mode');
    expect(FakePC.instances[0].closed).toBe(true);
    const sp = scriptNodes[0];
    // 150 ms at 48 kHz → one full 100 ms chunk at 16 kHz, 50 ms left over.
    sp.onaudioprocess({ inputBuffer: { getChannelData: () => new Float32Array(7200).fill(0.5) } });
    sp.onaudioprocess({ inputBuffer: { getChannelData: () => new Float32Array(2400).fill(-0.25) } });
    const chunks = h.socket().sentOf('audio_chunk');
    expect(chunks.map((c) => c.seq)).toEqual([1, 2]);
    expect(chunks[0].sample_rate).toBe(16000);
    expect(chunks[0].pcm).toBeInstanceOf(Uint8Array);
    expect(chunks[0].pcm.byteLength).toBe(3200);
    const first = new Int16Array(chunks[0].pcm.buffer.slice(chunks[0].pcm.byteOffset, chunks[0].pcm.byteOffset + 4));
    expect(first[0]).toBe(Math.round(0.5 * 0x7fff));
  });

  it('when audio_chunk fails too, says plainly that typing still works and releases the mic', async () => {
    await myTurn({
      replies: {
        media_offer: () => ({ ok: false, error: { code: 'media_unavailable', message: 'no sidecar' } }),
        audio_chunk: () => ({ ok: false, error: { code: 'media_unavailable', message: 'no sidecar' } }),
      },
    });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live-pcm'));
    scriptNodes[0].onaudioprocess({ inputBuffer: { getChannelData: () => new Float32Array(4800) } });
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('Voice answers are not available right now — typing still works.'));
    expect(micButton()).toHaveAttribute('aria-pressed', 'false');
    expect(allTracks().every((t) => t.stopped)).toBe(true);
    expect(screen.getByLabelText(/Your answer/)).not.toHaveAttribute('readonly');
  });

  it('maps a bad_sample_rate refusal to plain words', async () => {
    await myTurn({
      replies: {
        media_offer: () => ({ ok: false, error: { code: 'bad_sdp', message: 'x' } }),
        audio_chunk: () => ({ ok: false, error: { code: 'bad_sample_rate', message: 'x' } }),
      },
    });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live-pcm'));
    expect(screen.getByTestId('mic-status')).toHaveTextContent('could not agree on a voice connection');
    scriptNodes[0].onaudioprocess({ inputBuffer: { getChannelData: () => new Float32Array(4800) } });
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('cannot use this microphone’s audio format'));
  });

  it('a silence refusal keeps the mic on, says so, and clears once a chunk with sound is accepted', async () => {
    let refuse = true;
    await myTurn({
      replies: {
        media_offer: () => ({ ok: false, error: { code: 'media_unavailable', message: 'no sidecar' } }),
        audio_chunk: () => (refuse ? { ok: false, error: { code: 'silence', message: 'only silence' } } : { ok: true, seq: 2, received: 3200 }),
      },
    });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live-pcm'));
    scriptNodes[0].onaudioprocess({ inputBuffer: { getChannelData: () => new Float32Array(4800) } });
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('is your microphone muted or unplugged?'));
    expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live-pcm');
    expect(micButton()).toHaveAttribute('aria-pressed', 'true');
    refuse = false;
    scriptNodes[0].onaudioprocess({ inputBuffer: { getChannelData: () => new Float32Array(4800).fill(0.3) } });
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-code', ''));
    expect(screen.getByTestId('mic-status')).not.toHaveTextContent('muted');
  });

  it('without WebRTC goes straight to PCM; without getUserMedia says typing still works', async () => {
    vi.stubGlobal('RTCPeerConnection', undefined);
    const { h, unmount } = await myTurn();
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'live-pcm'));
    expect(h.socket().sentOf('media_offer')).toEqual([]);
    unmount();
    Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });
    await myTurn({ lang: 'ko' });
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-status')).toHaveTextContent('지금은 음성 답변을 쓸 수 없습니다 — 글로 답변하면 됩니다.'));
  });

  it('a refused microphone explains how to allow it', async () => {
    gum.mockRejectedValueOnce(Object.assign(new Error('no'), { name: 'NotAllowedError' }));
    await myTurn();
    await userEvent.click(micButton());
    await waitFor(() => expect(screen.getByTestId('mic-panel')).toHaveAttribute('data-phase', 'denied'));
    expect(screen.getByTestId('mic-status')).toHaveTextContent('The microphone is blocked');
    expect(micButton()).toHaveAttribute('aria-pressed', 'false');
  });
});

describe('PCM helpers', () => {
  it('resamples 44.1 kHz to 16 kHz across buffers and chunks exactly', () => {
    const r = new Resampler(44100);
    let n = 0;
    for (let i = 0; i < 10; i++) n += r.push(new Float32Array(4410)).length;
    expect(Math.abs(n - 16000 * 1.0)).toBeLessThanOrEqual(1);
    const got: number[] = [];
    const c = new PcmChunker(1600, (p) => got.push(p.length));
    c.push(new Int16Array(4000));
    c.flush();
    expect(got).toEqual([1600, 1600, 800]);
    expect(Array.from(floatToPcm16(Float32Array.from([1, -1, 0, 2])))).toEqual([32767, -32768, 0, 32767]);
  });
});
