import { describe, expect, it } from 'vitest';
import { applyEvent, emptySync, ingestEvent, ingestSnapshot, leaderboardOf, normalizeSnapshot } from './roomSync';
import { matchFixture, roomFixture } from './test/fakes';

function start(seq = 10) {
  return ingestSnapshot(emptySync, roomFixture({ seq })).state;
}

describe('seq handling', () => {
  it('applies the next event and records its seq', () => {
    const s = start();
    const r = ingestEvent(s, { name: 'ready_changed', payload: { seq: 11, participant_id: 'u2', ready: true } });
    expect(r.resync).toBe(false);
    expect(r.state.room!.seq).toBe(11);
    expect(r.state.room!.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(true);
  });

  it('ignores events at or below the snapshot seq', () => {
    const s = start(10);
    for (const seq of [5, 10]) {
      const r = ingestEvent(s, { name: 'ready_changed', payload: { seq, participant_id: 'u2', ready: true } });
      expect(r.state).toBe(s);
      expect(r.resync).toBe(false);
    }
  });

  it('detects a gap, buffers, and replays newer events after the snapshot', () => {
    const s = start(10);
    const gap = ingestEvent(s, { name: 'ready_changed', payload: { seq: 13, participant_id: 'u2', ready: true } });
    expect(gap.resync).toBe(true);
    expect(gap.state.resyncing).toBe(true);
    // While resyncing, later events are buffered, not applied.
    const more = ingestEvent(gap.state, { name: 'presence_changed', payload: { seq: 14, participant_id: 'u2', presence: 'away' } });
    expect(more.resync).toBe(false);
    expect(more.state.room!.seq).toBe(10);
    // Snapshot at seq 12: events 13 and 14 replay on top.
    const snap = ingestSnapshot(more.state, roomFixture({ seq: 12 }));
    expect(snap.resync).toBe(false);
    expect(snap.state.resyncing).toBe(false);
    const u2 = snap.state.room!.participants.find((p) => p.participant_id === 'u2')!;
    expect(snap.state.room!.seq).toBe(14);
    expect(u2.ready).toBe(true);
    expect(u2.presence).toBe('away');
  });

  it('drops buffered events that the snapshot already covers', () => {
    const s = start(10);
    const gap = ingestEvent(s, { name: 'ready_changed', payload: { seq: 12, participant_id: 'u2', ready: true } });
    const snap = ingestSnapshot(gap.state, roomFixture({ seq: 15 }));
    expect(snap.state.room!.seq).toBe(15);
    expect(snap.state.room!.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(false);
    expect(snap.state.buffer).toEqual([]);
  });

  it('ignores a stale pushed snapshot', () => {
    const s = ingestSnapshot(emptySync, roomFixture({ seq: 20 })).state;
    const r = ingestSnapshot(s, roomFixture({ seq: 15, title: 'old' }));
    expect(r.state.room!.title).toBe('Friday mock');
  });
});

describe('events', () => {
  it('question_asked starts a fresh question', () => {
    const room = normalizeSnapshot(matchFixture());
    const r = applyEvent(room, { name: 'question_asked', payload: { seq: 41, question_id: 'q2', text: 'Why us?', category: 'company', index: 1, total: 3 } });
    expect(r.question!.text).toBe('Why us?');
    expect(r.answers).toEqual([]);
    expect(r.drafts).toEqual({});
  });

  it('streams, submits, then scores an answer', () => {
    let room = normalizeSnapshot(matchFixture({ answers: [] }));
    room = applyEvent(room, { name: 'answer_stream', payload: { seq: 41, participant_id: 'ai:naver', text: 'At Naver' } });
    expect(room.drafts['ai:naver']).toBe('At Naver');
    room = applyEvent(room, { name: 'answer_submitted', payload: { seq: 42, participant_id: 'ai:naver', question_id: 'q1', answer_id: 'a9', text: 'At Naver we…' } });
    expect(room.drafts['ai:naver']).toBeUndefined();
    room = applyEvent(room, { name: 'score_update', payload: { seq: 43, participant_id: 'ai:naver', question_id: 'q1', answer_id: 'a9', score: 77, dimensions: { depth: 70 }, feedback: 'ok' } });
    expect(room.answers).toHaveLength(1);
    expect(room.answers[0]).toMatchObject({ text: 'At Naver we…', score: 77, dimensions: { depth: 70 } });
  });

  it('follow_up_asked and a follow-up turn_started set the follow-up; the follow-up answer is a second answer', () => {
    let room = normalizeSnapshot(matchFixture());
    expect(room.follow_up).toBeNull();
    room = applyEvent(room, { name: 'follow_up_asked', payload: { seq: 41, participant_id: 'ai:naver', question_id: 'q1', text: 'Numbers?', deadline_ms: 5 } });
    expect(room.follow_up).toEqual({ participant_id: 'ai:naver', question_id: 'q1', text: 'Numbers?', deadline_ms: 5 });
    room = applyEvent(room, { name: 'turn_started', payload: { seq: 42, participant_id: 'ai:naver', question_id: 'q1', deadline_ms: 6, follow_up: 'Numbers?' } });
    expect(room.turn).toEqual({ participant_id: 'ai:naver', deadline_ms: 6, follow_up: 'Numbers?' });
    room = applyEvent(room, { name: 'answer_submitted', payload: { seq: 43, participant_id: 'ai:naver', question_id: 'q1', answer_id: 'a2', text: '40% faster', follow_up_of: 'a1' } });
    expect(room.answers.map((a) => [a.answer_id, a.follow_up_of ?? null])).toEqual([['a1', null], ['a2', 'a1']]);
    // A snapshot keeps it (from the answered follow-up); the next question clears it.
    const snap = normalizeSnapshot({ ...matchFixture({ seq: 43, answers: room.answers, turn: null }), answers: [...room.answers.slice(0, 1), { ...room.answers[1], follow_up_question: 'Numbers?' }] });
    expect(snap.follow_up).toMatchObject({ participant_id: 'ai:naver', text: 'Numbers?' });
    room = applyEvent(room, { name: 'question_asked', payload: { seq: 44, question_id: 'q2', text: 'Why us?', category: 'company', index: 2, total: 3 } });
    expect(room.follow_up).toBeNull();
  });

  it('leaderboard_update re-ranks and updates participant scores', () => {
    let room = normalizeSnapshot(matchFixture());
    room = applyEvent(room, {
      name: 'leaderboard_update',
      payload: { seq: 41, entries: [
        { participant_id: 'u1', display_name: 'Host Hana', kind: 'human', score: 90, rank: 1 },
        { participant_id: 'ai:naver', display_name: 'Seojun (Naver)', kind: 'ai', score: 71, rank: 2 },
      ] },
    });
    expect(leaderboardOf(room).map((e) => e.participant_id)).toEqual(['u1', 'ai:naver', 'u2']);
    expect(room.participants.find((p) => p.participant_id === 'u1')!.score).toBe(90);
  });

  it('the leaderboard lists a participant who joined after the last board', () => {
    const room = normalizeSnapshot(matchFixture());
    const joined = applyEvent(room, { name: 'participant_joined', payload: { seq: 41, participant: { participant_id: 'u3', kind: 'human', display_name: 'Cho' } } });
    const rows = leaderboardOf(joined);
    expect(rows.map((r) => r.participant_id)).toEqual(['ai:naver', 'u1', 'u3', 'u2']);
    expect(rows.find((r) => r.participant_id === 'u3')!.rank).toBe(2);
  });

  it('participant_left for yourself marks you removed', () => {
    const room = normalizeSnapshot(roomFixture());
    const r = applyEvent(room, { name: 'participant_left', payload: { seq: 11, participant_id: 'u1' } });
    expect(r.removed).toBe(true);
  });

  it('session_complete finishes the match', () => {
    const room = normalizeSnapshot(matchFixture());
    const r = applyEvent(room, { name: 'session_complete', payload: { seq: 99, ranking: [{ participant_id: 'u1', display_name: 'H', kind: 'human', score: 1, rank: 1 }], report_url: '/api/v1/rooms/r1/report' } });
    expect(r.phase).toBe('finished');
    expect(r.complete!.report_url).toContain('report');
  });

  it('participant_joined accepts flat or nested payloads', () => {
    let room = normalizeSnapshot(roomFixture());
    room = applyEvent(room, { name: 'participant_joined', payload: { seq: 11, participant_id: 'u3', kind: 'human', display_name: 'Cho' } });
    room = applyEvent(room, { name: 'participant_joined', payload: { seq: 12, participant: { participant_id: 'u4', kind: 'human', display_name: 'Dan' } } });
    expect(room.participants.map((p) => p.participant_id)).toContain('u3');
    expect(room.participants.map((p) => p.participant_id)).toContain('u4');
  });
});
