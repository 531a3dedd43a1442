// Missed-event replay: a rejoin after a network drop or a reload sends the last seq it applied
// (join_room last_seq); the server first replays what was missed, then goes live.
import { describe, expect, it } from 'vitest';
import { emptySync, ingestEvent, ingestSnapshot, resumeFromBuffer } from './roomSync';
import { flush, makeArena, MemStorage, roomFixture, type Harness } from './test/fakes';

const ready = (seq: number, id = 'u2') => ({ seq, room_id: 'r1', participant_id: id, ready: true });
const away = (seq: number, id = 'u2') => ({ seq, room_id: 'r1', participant_id: id, presence: 'away' });

/** join_room: a snapshot at seq 10 for a first join; with last_seq, replay `missed` then ack `replay`. */
function replaying(h: () => Harness, missed: [string, any][]) {
  return (p: any) => {
    if (p.last_seq === undefined) return { ok: true, state: roomFixture({ seq: 10 }) };
    for (const [name, payload] of missed) h().socket().push(name, payload); // sent before the ack
    const to = missed.length ? missed[missed.length - 1][1].seq : p.last_seq;
    return { ok: true, replay: { from_seq: p.last_seq + 1, to_seq: to, events: missed.length } };
  };
}

describe('rejoin with last_seq', () => {
  it('after a network drop: sends the last seq and applies the replayed events in order, once', async () => {
    let h: Harness;
    h = makeArena({ replies: { join_room: replaying(() => h, [['presence_changed', away(12, 'u1')], ['ready_changed', ready(13)]]) } });
    h.arena.connect();
    h.socket().connect();
    expect(await h.arena.joinRoom({ room_id: 'r1', role: 'player' })).toBe(true);
    h.socket().push('ready_changed', { ...ready(11), ready: false });
    expect(h.arena.room!.seq).toBe(11);
    h.socket().drop();
    h.socket().connect();
    await flush();
    await flush();
    const joins = h.socket().sentOf('join_room');
    expect(joins[1]).toMatchObject({ room_id: 'r1', role: 'player', last_seq: 11 });
    const room = h.arena.room!;
    expect(room.seq).toBe(13);
    expect(room.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(true);
    expect(room.participants.find((p) => p.participant_id === 'u1')!.presence).toBe('away');
    expect(h.arena.getState().sync.resyncing).toBe(false);
    expect(h.arena.getState().joining).toBeNull();
    expect(h.socket().sentOf('request_state')).toHaveLength(0);
    // Live again: the next event applies directly; a repeat of a replayed one is ignored.
    h.socket().push('ready_changed', { ...ready(13), ready: false });
    h.socket().push('presence_changed', { ...away(14, 'u1'), presence: 'online' });
    expect(h.arena.room!.seq).toBe(14);
    expect(h.arena.room!.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(true);
    expect(h.arena.room!.participants.find((p) => p.participant_id === 'u1')!.presence).toBe('online');
  });

  it('after a reload: resumes from the stored room and its seq', async () => {
    const storage = new MemStorage();
    let first: Harness;
    first = makeArena({ storage, replies: { join_room: replaying(() => first, []) } });
    first.arena.connect();
    first.socket().connect();
    await first.arena.joinRoom({ room_id: 'r1', role: 'player' });
    first.socket().push('ready_changed', ready(11));
    first.arena.persistRoom();                           // what pagehide (or the 1 s timer) does
    expect(JSON.parse(storage.getItem('arena.room.state')!).seq).toBe(11);

    let h: Harness;
    h = makeArena({ storage, replies: { join_room: replaying(() => h, [['ready_changed', ready(12, 'u1')]]) } });
    h.arena.connect();
    h.socket().connect();
    await flush();
    await flush();
    expect(h.socket().sentOf('join_room')[0]).toMatchObject({ room_id: 'r1', last_seq: 11 });
    const room = h.arena.room!;
    expect(room.seq).toBe(12);
    expect(room.title).toBe('Friday mock');
    expect(room.participants.filter((p) => p.ready).map((p) => p.participant_id).sort()).toEqual(['ai:naver', 'u1', 'u2']);
    expect(h.socket().sentOf('request_state')).toHaveLength(0);
  });

  it('takes the snapshot when the server no longer holds the gap, with live events on top', async () => {
    let h: Harness;
    h = makeArena({
      replies: {
        join_room: (p: any) => {
          if (p.last_seq === undefined) return { ok: true, state: roomFixture({ seq: 10 }) };
          h.socket().push('ready_changed', ready(31));     // live, right after the snapshot
          return { ok: true, state: roomFixture({ seq: 30, title: 'Fresh' }), replay: null };
        },
      },
    });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.socket().drop();
    h.socket().connect();
    await flush();
    await flush();
    expect(h.arena.room!.title).toBe('Fresh');
    expect(h.arena.room!.seq).toBe(31);
    expect(h.socket().sentOf('request_state')).toHaveLength(0);
  });

  it('keeps the replayed events when the join ack never comes', async () => {
    let h: Harness;
    h = makeArena({
      replies: {
        join_room: (p: any) => {
          if (p.last_seq === undefined) return { ok: true, state: roomFixture({ seq: 10 }) };
          h.socket().push('ready_changed', ready(11));
          return undefined;                                 // no ack: the client times out
        },
      },
    });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.socket().drop();
    h.socket().connect();
    await new Promise((r) => setTimeout(r, 600));           // the harness's ack timeout is 500 ms
    expect(h.arena.getState().joining).toBeNull();
    expect(h.arena.getState().sync.resyncing).toBe(false);
    expect(h.arena.room!.seq).toBe(11);
    expect(h.arena.room!.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(true);
  });

  it('forgets the stored room when you leave it', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: true, state: roomFixture() }) } });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.arena.persistRoom();
    expect(h.storage.getItem('arena.room.state')).not.toBeNull();
    await h.arena.leaveRoom();
    h.arena.persistRoom();
    expect(h.storage.getItem('arena.room.state')).toBeNull();
  });
});

describe('resumeFromBuffer', () => {
  it('applies buffered events after the room seq in order, skipping duplicates, and reports a gap', () => {
    const base = { ...ingestSnapshot(emptySync, roomFixture({ seq: 10 })).state, resyncing: true };
    let s = base;
    for (const seq of [12, 11, 11, 10, 14]) s = ingestEvent(s, { name: 'ready_changed', payload: ready(seq) }).state;
    const r = resumeFromBuffer(s);
    expect(r.state.room!.seq).toBe(12);
    expect(r.resync).toBe(true);                          // 13 is missing: 14 stays buffered
    expect(r.state.buffer.map((e) => e.payload.seq)).toEqual([14]);
    const ok = resumeFromBuffer(ingestEvent(s, { name: 'ready_changed', payload: ready(13) }).state);
    expect(ok.resync).toBe(false);
    expect(ok.state.room!.seq).toBe(14);
    expect(ok.state.resyncing).toBe(false);
  });
});
