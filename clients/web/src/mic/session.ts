// Speaking an answer: microphone (+ optional camera) → WebRTC to the media sidecar, or, when
// WebRTC or the sidecar's WebRTC path is unavailable, 16 kHz 16-bit mono PCM `audio_chunk`s.
// Framework-free and lazy-loaded (see MicPanel). Uses the browser globals at call time, so the
// tests can replace navigator.mediaDevices, RTCPeerConnection and AudioContext with fakes.

import { floatToPcm16, PcmChunker, Resampler } from './pcm';

export type MicPhase =
  | 'idle'
  | 'starting' // asking for the microphone
  | 'connecting' // WebRTC offer/answer in flight
  | 'live' // WebRTC audio flowing to the server
  | 'live-pcm' // audio_chunk fallback
  | 'denied' // the user or the browser refused the microphone
  | 'unavailable'; // neither path works: typing still does

export interface MicStatus {
  phase: MicPhase;
  /** The last media error code (media_unavailable, bad_sdp, …) for a plain-words line. */
  code?: string;
  camera: boolean;
  /** The camera is wanted but could not be opened. */
  cameraError?: boolean;
}

export interface MicOptions {
  /** Emit with ack: resolves the ack body on ok, rejects {code, message} otherwise. */
  emit: (event: string, payload: Record<string, unknown>) => Promise<any>;
  onStatus: (s: MicStatus) => void;
  /** 0..1, about 20 times a second while live. */
  onLevel?: (level: number) => void;
  /** Called with the camera stream (or null) for a local preview. */
  onCamera?: (stream: MediaStream | null) => void;
  camera?: boolean;
  /** ICE gathering wait before sending what we have (ms). */
  iceTimeoutMs?: number;
  /** Force the PCM path (tests, or a browser without RTCPeerConnection). */
  forcePcm?: boolean;
  levelIntervalMs?: number;
}

/** PCM error codes after which sending more chunks is pointless. */
const FATAL_PCM = new Set(['bad_sample_rate', 'chunk_too_large', 'bad_audio', 'media_unavailable', 'unknown_event', 'bad_request']);
/** The turn is over on the server: stop quietly. */
const TURN_OVER = new Set(['wrong_phase', 'not_your_turn', 'already_submitted', 'not_in_room']);

const WORKLET_SRC = `
class ArenaTap extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch && ch.length) this.port.postMessage(ch.slice(0));
    return true;
  }
}
registerProcessor('arena-tap', ArenaTap);
`;

export function dbToLevel(rms: number): number {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db + 60) / 60)); // −60 dBFS → 0, 0 dBFS → 1
}

export function rmsOf(buf: Float32Array): number {
  let s = 0;
  for (let i = 0; i < buf.length; i++) s += buf[i] * buf[i];
  return buf.length ? Math.sqrt(s / buf.length) : 0;
}

export class MicSession {
  private opts: MicOptions;
  private status: MicStatus;
  private mic: MediaStream | null = null;
  private cam: MediaStream | null = null;
  private pc: RTCPeerConnection | null = null;
  private videoSender: RTCRtpSender | null = null;
  private ctx: AudioContext | null = null;
  private levelTimer: ReturnType<typeof setInterval> | null = null;
  private tapNodes: AudioNode[] = [];
  private chunker: PcmChunker | null = null;
  private seq = 0;
  private stopped = false;
  private warned = new Set<string>();

  constructor(opts: MicOptions) {
    this.opts = opts;
    this.status = { phase: 'idle', camera: !!opts.camera };
  }

  get phase(): MicPhase {
    return this.status.phase;
  }

  private set(patch: Partial<MicStatus>) {
    if (this.stopped && patch.phase && patch.phase !== 'idle') return;
    this.status = { ...this.status, ...patch };
    this.opts.onStatus(this.status);
  }

  async start(): Promise<void> {
    this.set({ phase: 'starting', code: undefined });
    const md = (globalThis.navigator as Navigator | undefined)?.mediaDevices;
    if (!md || typeof md.getUserMedia !== 'function') {
      this.set({ phase: 'unavailable', code: 'no_media_api' });
      return;
    }
    try {
      this.mic = await md.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true }, video: false });
    } catch (e) {
      const name = (e as DOMException)?.name;
      const denied = name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError';
      this.set({ phase: denied ? 'denied' : 'unavailable', code: denied ? 'mic_denied' : 'no_mic' });
      return;
    }
    if (this.stopped) return this.release();
    if (this.status.camera) await this.openCamera();
    if (this.stopped) return this.release();
    this.startLevel();

    const hasRtc = typeof (globalThis as any).RTCPeerConnection === 'function';
    if (hasRtc && !this.opts.forcePcm) {
      const ok = await this.startWebRtc();
      if (ok || this.stopped) return;
    }
    await this.startPcm();
  }

  /** Non-trickle WebRTC: gather every candidate, send one offer, apply the answer. */
  private async startWebRtc(): Promise<boolean> {
    this.set({ phase: 'connecting' });
    let pc: RTCPeerConnection;
    try {
      pc = new RTCPeerConnection({ iceServers: [] });
    } catch {
      return false;
    }
    this.pc = pc;
    try {
      const audio = this.mic!.getAudioTracks()[0];
      pc.addTrack(audio, this.mic!);
      // A video sender exists from the start, so the camera toggle only swaps its track.
      const camTrack = this.cam?.getVideoTracks()[0] ?? null;
      if (camTrack) this.videoSender = pc.addTrack(camTrack, this.cam!);
      else if (typeof pc.addTransceiver === 'function') this.videoSender = pc.addTransceiver('video', { direction: 'sendonly' }).sender;
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await waitIceComplete(pc, this.opts.iceTimeoutMs ?? 3000);
      if (this.stopped) return true;
      const sdp = pc.localDescription?.sdp ?? offer.sdp ?? '';
      const ack = await this.opts.emit('media_offer', { sdp, type: 'offer' });
      if (this.stopped) return true;
      if (!ack?.sdp) throw Object.assign(new Error('no answer sdp'), { code: 'bad_sdp' });
      await pc.setRemoteDescription({ type: (ack.type as RTCSdpType) ?? 'answer', sdp: ack.sdp });
      pc.addEventListener?.('connectionstatechange', () => {
        if (this.pc !== pc || this.stopped) return;
        if (pc.connectionState === 'failed') {
          // ICE could not get through (UDP blocked…): switch to PCM over the socket.
          this.closePc();
          this.set({ code: 'ice_failed' });
          void this.startPcm();
        }
      });
      this.set({ phase: 'live' });
      return true;
    } catch (e) {
      this.closePc();
      const code = (e as any)?.code ?? 'bad_sdp';
      if (TURN_OVER.has(code)) {
        this.stop();
        return true;
      }
      this.set({ code });
      return false;
    }
  }

  /** The audio_chunk path: 100 ms chunks of 16 kHz 16-bit mono PCM, seq increasing. */
  private async startPcm(): Promise<void> {
    if (this.stopped) return;
    const ctx = this.ctx;
    if (!ctx || !this.mic) {
      this.set({ phase: 'unavailable', code: this.status.code ?? 'no_audio_context' });
      return;
    }
    const rate = ctx.sampleRate;
    this.chunker = new PcmChunker(1600, (pcm) => this.sendChunk(pcm));
    const resampler = new Resampler(rate);
    const feed = (f: Float32Array) => {
      if (this.stopped || !this.chunker) return;
      this.chunker.push(floatToPcm16(resampler.push(f)));
    };
    try {
      const src = ctx.createMediaStreamSource(this.mic);
      let node: AudioNode | null = null;
      if (ctx.audioWorklet && typeof AudioWorkletNode === 'function') {
        try {
          const url = URL.createObjectURL(new Blob([WORKLET_SRC], { type: 'application/javascript' }));
          await ctx.audioWorklet.addModule(url);
          URL.revokeObjectURL(url);
          const w = new AudioWorkletNode(ctx, 'arena-tap', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1 });
          w.port.onmessage = (ev) => feed(ev.data as Float32Array);
          node = w;
        } catch {
          node = null;
        }
      }
      if (!node) {
        const sp = ctx.createScriptProcessor(4096, 1, 1);
        sp.onaudioprocess = (ev) => feed(ev.inputBuffer.getChannelData(0));
        node = sp;
      }
      // Route through a muted gain so the graph runs without echoing the voice.
      const mute = ctx.createGain();
      mute.gain.value = 0;
      src.connect(node);
      node.connect(mute);
      mute.connect(ctx.destination);
      this.tapNodes.push(src, node, mute);
      if (this.stopped) return;
      this.set({ phase: 'live-pcm' });
    } catch {
      this.set({ phase: 'unavailable', code: this.status.code ?? 'no_audio_context' });
      this.releaseMedia();
    }
  }

  private sendChunk(pcm: Int16Array) {
    if (this.stopped) return;
    const seq = ++this.seq;
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    this.opts
      .emit('audio_chunk', { seq, sample_rate: 16000, pcm: bytes })
      .then(() => {
        // After a `silence` refusal only chunks with sound are accepted: the microphone works now.
        if (!this.stopped && this.status.code === 'silence') this.set({ code: undefined });
      })
      .catch((e: any) => {
        const code = e?.code ?? 'bad_audio';
        if (this.stopped) return;
        if (code === 'overloaded' || code === 'silence') {
          // Keep sending: the next chunk may have sound (a muted mic unmuted, a busy server).
          if (!this.warned.has(code)) this.set({ code });
          this.warned.add(code);
          return;
        }
        if (TURN_OVER.has(code)) return this.stop();
        if (code === 'timeout' || code === 'network') return; // one lost chunk; the socket reconnects
        if (FATAL_PCM.has(code) || seq === 1) {
          this.releaseMedia();
          this.set({ phase: 'unavailable', code });
        }
      });
  }

  private startLevel() {
    const AC = (globalThis as any).AudioContext ?? (globalThis as any).webkitAudioContext;
    if (!AC || !this.mic) return;
    try {
      const ctx: AudioContext = new AC();
      this.ctx = ctx;
      const src = ctx.createMediaStreamSource(this.mic);
      const an = ctx.createAnalyser();
      an.fftSize = 1024;
      src.connect(an);
      this.tapNodes.push(src, an);
      const buf = new Float32Array(an.fftSize);
      void ctx.resume?.().catch?.(() => undefined);
      this.levelTimer = setInterval(() => {
        an.getFloatTimeDomainData(buf);
        this.opts.onLevel?.(dbToLevel(rmsOf(buf)));
      }, this.opts.levelIntervalMs ?? 50);
    } catch {
      this.ctx = null;
    }
  }

  private async openCamera(): Promise<boolean> {
    try {
      this.cam = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15, max: 15 } }, audio: false });
      this.set({ cameraError: false });
      this.opts.onCamera?.(this.cam);
      return true;
    } catch {
      this.cam = null;
      this.set({ cameraError: true });
      this.opts.onCamera?.(null);
      return false;
    }
  }

  /** Camera on/off while speaking: swaps the video sender's track, no renegotiation. */
  async setCamera(on: boolean): Promise<void> {
    this.set({ camera: on, cameraError: false });
    if (this.status.phase === 'idle' || this.stopped) return;
    if (on && !this.cam) {
      if (!(await this.openCamera()) || this.stopped) return;
      await this.videoSender?.replaceTrack(this.cam!.getVideoTracks()[0] ?? null).catch(() => undefined);
    } else if (!on && this.cam) {
      await this.videoSender?.replaceTrack(null).catch(() => undefined);
      for (const t of this.cam.getTracks()) t.stop();
      this.cam = null;
      this.opts.onCamera?.(null);
    }
  }

  private closePc() {
    const pc = this.pc;
    this.pc = null;
    this.videoSender = null;
    try {
      pc?.close();
    } catch {
      /* already closed */
    }
  }

  private releaseMedia() {
    if (this.levelTimer) clearInterval(this.levelTimer);
    this.levelTimer = null;
    this.chunker?.flush();
    this.chunker = null;
    for (const n of this.tapNodes) {
      try {
        n.disconnect();
      } catch {
        /* not connected */
      }
    }
    this.tapNodes = [];
    this.closePc();
    for (const s of [this.mic, this.cam]) for (const t of s?.getTracks() ?? []) t.stop();
    if (this.cam) this.opts.onCamera?.(null);
    this.mic = null;
    this.cam = null;
    const ctx = this.ctx;
    this.ctx = null;
    void ctx?.close?.().catch?.(() => undefined);
    this.opts.onLevel?.(0);
  }

  private release() {
    this.releaseMedia();
  }

  /** Stop every track, close the peer connection and the audio graph. Idempotent. */
  stop() {
    if (this.stopped) return;
    // Send what is buffered (< 100 ms) before closing.
    this.chunker?.flush();
    this.chunker = null;
    this.stopped = true;
    this.releaseMedia();
    this.status = { ...this.status, phase: 'idle' };
    this.opts.onStatus(this.status);
  }
}

/** Resolve when ICE gathering is complete (non-trickle), or after timeoutMs with what we have. */
export function waitIceComplete(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener?.('icegatheringstatechange', check);
      pc.removeEventListener?.('icecandidate', onCand);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const onCand = (e: Event) => {
      if (!(e as RTCPeerConnectionIceEvent).candidate) done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
    pc.addEventListener('icecandidate', onCand);
  });
}
