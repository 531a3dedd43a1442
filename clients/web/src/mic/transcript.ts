// The answer box while speaking: what the player typed or kept (`base`), plus the current
// partial transcript. Finals are appended to `base`; an edit by the player replaces `base` and
// drops the partial, so the text stays editable before submit.

export interface LiveText {
  base: string;
  partial: string;
  /** The speaker's own answer_stream (server draft + partial), used until audio_processed arrives. */
  stream: string | null;
  gotAudio: boolean;
  /** What the player owned before this answer's finals (typed, or their last edit). */
  owned?: string;
  /** After a `restart` (the speech moved to another sidecar): the text shown then, kept until the new transcript is as long. */
  hold?: string | null;
}

export const liveInit = (base: string): LiveText => ({ base, partial: '', stream: null, gotAudio: false, owned: base, hold: null });

export function joinText(a: string, b: string): string {
  const t = b.trim();
  if (!t) return a;
  if (!a.trim()) return t;
  return /\s$/.test(a) ? a + t : `${a} ${t}`;
}

export function shownText(l: LiveText): string {
  if (!l.gotAudio && l.stream != null) return l.stream;
  const t = joinText(l.base, l.partial);
  return l.hold && t.length < l.hold.length ? l.hold : t;
}

export function applyAudio(l: LiveText, p: { transcript?: unknown; is_final?: unknown; restart?: unknown }): LiveText {
  // The answer is transcribed again from its start by another sidecar: its finals replace ours.
  if (p.restart) return { base: l.owned ?? '', partial: '', stream: null, gotAudio: true, owned: l.owned, hold: shownText(l) };
  const text = typeof p.transcript === 'string' ? p.transcript : '';
  // The first audio_processed takes over from answer_stream: back to what the player owns.
  if (p.is_final) {
    const base = joinText(l.base, text);
    return { ...l, base, partial: '', stream: null, gotAudio: true, hold: l.hold && base.length < l.hold.length ? l.hold : null };
  }
  return { ...l, partial: text, stream: null, gotAudio: true };
}

export function applyStream(l: LiveText, text: string): LiveText {
  if (l.gotAudio) return l;
  // Only a stream that carries what the player already owns (server draft = typed + spoken):
  // a spoken-only stream would hide the typed text until audio_processed arrives.
  if (l.base.trim() && !text.startsWith(l.base.trim())) return l;
  return { ...l, stream: text };
}

export function applyEdit(_l: LiveText, text: string): LiveText {
  return { base: text, partial: '', stream: null, gotAudio: _l.gotAudio, owned: text, hold: null };
}
