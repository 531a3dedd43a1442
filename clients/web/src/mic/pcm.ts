// PCM helpers for the audio_chunk path: float → 16 kHz → int16, cut into fixed-size chunks.

/**
 * Stateful down-sampler to 16 kHz: each output sample is the mean of the input samples in its
 * 1/16000 s window (a box low-pass, enough for speech recognition), carried across buffers.
 */
export class Resampler {
  private ratio: number;
  private acc = 0;
  private n = 0;
  private pos = 0; // input samples consumed toward the current output window
  constructor(inRate: number, outRate = 16000) {
    this.ratio = inRate / outRate;
  }
  push(input: Float32Array): Float32Array {
    if (this.ratio === 1) return input.slice(0);
    if (this.ratio < 1) return upsampleLinear(input, this.ratio);
    const out: number[] = [];
    for (let i = 0; i < input.length; i++) {
      this.acc += input[i];
      this.n++;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        out.push(this.acc / this.n);
        this.acc = 0;
        this.n = 0;
        this.pos -= this.ratio;
      }
    }
    return Float32Array.from(out);
  }
}

function upsampleLinear(input: Float32Array, ratio: number): Float32Array {
  const outLen = Math.floor(input.length / ratio);
  const out = new Float32Array(outLen);
  for (let k = 0; k < outLen; k++) {
    const x = k * ratio;
    const i = Math.floor(x);
    const f = x - i;
    const a = input[i] ?? 0;
    const b = input[i + 1] ?? a;
    out[k] = a + (b - a) * f;
  }
  return out;
}

export function floatToPcm16(f: Float32Array): Int16Array {
  const out = new Int16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const s = Math.max(-1, Math.min(1, f[i]));
    out[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }
  return out;
}

/** Collects int16 samples and emits chunks of exactly `size` samples (the last one on flush). */
export class PcmChunker {
  private buf: Int16Array;
  private len = 0;
  constructor(private size: number, private onChunk: (pcm: Int16Array) => void) {
    this.buf = new Int16Array(size);
  }
  push(samples: Int16Array) {
    let off = 0;
    while (off < samples.length) {
      const take = Math.min(this.size - this.len, samples.length - off);
      this.buf.set(samples.subarray(off, off + take), this.len);
      this.len += take;
      off += take;
      if (this.len === this.size) {
        this.onChunk(this.buf.slice(0));
        this.len = 0;
      }
    }
  }
  flush() {
    if (this.len > 0) this.onChunk(this.buf.slice(0, this.len));
    this.len = 0;
  }
}
