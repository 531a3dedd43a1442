import { afterEach, describe, expect, it, vi } from 'vitest';
import { flush, makeArena, matchFixture, MemStorage, roomFixture } from './test/fakes';

afterEach(() => vi.useRealTimers());

describe('Arena store', () => {
  it('signs in as a guest and keeps the token', async () => {
    const h = makeArena({ signedIn: false });
    expect(h.arena.getState().auth).toBeNull();
    await h.arena.signIn('  Jiwoo ');
    expect(h.fetch).toHaveBeenCalledWith('/api/v1/auth/guest', expect.objectContaining({ method: 'POST', body: JSON.stringify({ display_name: 'Jiwoo' }) }));
    expect(h.storage.getItem('arena.token')).toBe('tok-new');
    expect(h.arena.getState().auth).toMatchObject({ user_id: 'u9', display_name: 'Jiwoo' });
    expect(h.socket().opts.auth).toEqual({ token: 'tok-new' });
    expect(h.socket().opts.path).toBe('/socket.io');
  });

  it('corrects for clock skew using connection_ack', () => {
    const h = makeArena();
    h.arena.connect();
    h.socket().push('connection_ack', { user_id: 'u1', server_time_ms: h.clock.now + 5000, protocol_version: 1 });
    expect(h.arena.serverNow()).toBe(h.clock.now + 5000);
  });

  it('refines the clock offset from a snapshot\'s server_time_ms', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: true, state: { ...roomFixture(), server_time_ms: 1_000_000 + 7_000 } }) } });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    expect(h.arena.serverNow()).toBe(h.clock.now + 7_000);
  });

  it('lists rooms on connect and follows lobby_update pushes', async () => {
    const h = makeArena({ replies: { list_rooms: () => ({ ok: true, rooms: [{ room_id: 'a', title: 'A', phase: 'lobby', humans: 1, max_humans: 2, personas: ['naver'], language: 'ko' }] }) } });
    h.arena.connect();
    h.socket().connect();
    await flush();
    expect(h.arena.getState().lobby).toHaveLength(1);
    h.socket().push('lobby_update', { rooms: [] });
    expect(h.arena.getState().lobby).toEqual([]);
  });

  it('joins a room, remembers it, and re-joins after a reconnect', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: true, state: roomFixture() }) } });
    h.arena.connect();
    h.socket().connect();
    await flush();
    expect(await h.arena.joinRoom({ room_id: 'r1', role: 'player' })).toBe(true);
    expect(JSON.parse(h.storage.getItem('arena.room')!)).toMatchObject({ room_id: 'r1', role: 'player' });
    // Network drops and comes back: the client re-joins its seat.
    h.socket().drop();
    expect(h.arena.getState().conn).toBe('offline');
    h.socket().connect();
    await flush();
    const joins = h.socket().sentOf('join_room');
    expect(joins).toHaveLength(2);
    expect(joins[1]).toMatchObject({ room_id: 'r1', role: 'player', join_code: 'QX7K2P' });
    expect(h.arena.room!.room_id).toBe('r1');
  });

  it('a spectator of a private room keeps its join code across reconnects (the snapshot has none)', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: true, state: roomFixture({ join_code: null, you: { participant_id: null, role: 'spectator' } }) }) } });
    h.arena.connect();
    h.socket().connect();
    await flush();
    expect(await h.arena.joinRoom({ join_code: 'qx7k2p', role: 'spectator' })).toBe(true);
    for (let i = 0; i < 2; i++) {
      h.socket().drop();
      h.socket().connect();
      await flush();
    }
    const joins = h.socket().sentOf('join_room');
    expect(joins).toHaveLength(3);
    expect(joins.slice(1)).toMatchObject([    // (plus last_seq: the rejoin asks for the missed events)
      { room_id: 'r1', join_code: 'QX7K2P', role: 'spectator' },
      { room_id: 'r1', join_code: 'QX7K2P', role: 'spectator' },
    ]);
    for (const j of joins.slice(1)) expect(typeof (j as { last_seq?: unknown }).last_seq).toBe('number');
  });

  it('a reload re-joins the stored room', async () => {
    const storage = new MemStorage();
    storage.setItem('arena.room', JSON.stringify({ room_id: 'r1', role: 'player' }));
    const h = makeArena({ storage, replies: { join_room: () => ({ ok: true, state: matchFixture() }) } });
    expect(h.arena.getState().joining).toMatchObject({ room_id: 'r1' });
    h.arena.connect();
    h.socket().connect();
    await flush();
    expect(h.socket().sentOf('join_room')[0]).toMatchObject({ room_id: 'r1', role: 'player' });
    expect(h.arena.room!.phase).toBe('answering');
    expect(h.arena.getState().joining).toBeNull();
  });

  it('forgets a room that no longer exists and says so', async () => {
    const storage = new MemStorage();
    storage.setItem('arena.room', JSON.stringify({ room_id: 'gone', role: 'player' }));
    const h = makeArena({ storage, replies: { join_room: () => ({ ok: false, error: { code: 'room_not_found', message: 'x' } }) } });
    h.arena.connect();
    h.socket().connect();
    await flush();
    await flush();
    expect(storage.getItem('arena.room')).toBeNull();
    expect(h.arena.getState().joining).toBeNull();
    expect(h.arena.getState().toasts.at(-1)!.text).toMatch(/does not exist/);
  });

  it('requests a snapshot when an event skips a seq', async () => {
    const h = makeArena({
      replies: {
        join_room: () => ({ ok: true, state: roomFixture({ seq: 10 }) }),
        request_state: () => ({ ok: true, state: roomFixture({ seq: 12, title: 'Fresh' }) }),
      },
    });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.socket().push('ready_changed', { seq: 13, participant_id: 'u2', ready: true });
    await flush();
    await flush();
    expect(h.socket().sentOf('request_state')).toHaveLength(1);
    expect(h.arena.room!.title).toBe('Fresh');
    expect(h.arena.room!.seq).toBe(13);
    expect(h.arena.room!.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(true);
  });

  it('keeps events that arrive before the join ack and replays the newer ones', async () => {
    const h = makeArena({ replies: { join_room: () => undefined } });
    h.arena.connect();
    h.socket().connect();
    // Answer join_room by hand, after pushing events.
    let ack: (r: any) => void = () => undefined;
    h.socket().emit = ((event: string, payload: any, cb: (r: any) => void) => {
      h.socket().sent.push({ event, payload });
      if (event === 'join_room') ack = cb;
      else cb({ ok: true, rooms: [] });
      return h.socket();
    }) as any;
    const joined = h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.socket().push('ready_changed', { seq: 10, room_id: 'r1', participant_id: 'u2', ready: true }); // already in the snapshot
    h.socket().push('ready_changed', { seq: 11, room_id: 'r1', participant_id: 'u2', ready: true });
    ack({ ok: true, state: roomFixture({ seq: 10 }) });
    await joined;
    expect(h.arena.room!.seq).toBe(11);
    expect(h.arena.room!.participants.find((p) => p.participant_id === 'u2')!.ready).toBe(true);
    expect(h.socket().sentOf('request_state')).toHaveLength(0);
  });

  it('shows error acks in plain words in the chosen language', async () => {
    const h = makeArena({ lang: 'ko', replies: { start_match: () => ({ ok: false, error: { code: 'not_ready', message: 'players not ready' } }) } });
    h.arena.connect();
    h.socket().connect();
    expect(await h.arena.startMatch()).toBe(false);
    expect(h.arena.getState().toasts.at(-1)!.text).toBe('아직 모든 참가자가 준비되지 않았습니다.');
  });

  it('times out an unanswered request with a clear message', async () => {
    const h = makeArena({ replies: { set_ready: () => undefined } });
    h.arena.connect();
    h.socket().connect();
    expect(await h.arena.setReady(true)).toBe(false);
    expect(h.arena.getState().toasts.at(-1)!.text).toMatch(/too long/);
  });

  it('throttles answer drafts to one per 300 ms, keeping the latest text', async () => {
    vi.useFakeTimers();
    const h = makeArena();
    h.arena.connect();
    h.socket().connect();
    h.arena.sendDraft('a');
    h.arena.sendDraft('ab');
    h.arena.sendDraft('abc');
    expect(h.socket().sentOf('answer_draft')).toEqual([{ text: 'a' }]);
    h.clock.now += 300;
    vi.advanceTimersByTime(300);
    expect(h.socket().sentOf('answer_draft')).toEqual([{ text: 'a' }, { text: 'abc' }]);
  });

  it('signs out when the server refuses the token', () => {
    const h = makeArena();
    h.arena.connect();
    h.socket().push('connect_error', Object.assign(new Error('unauthorized'), { data: { code: 'unauthorized' } }));
    expect(h.arena.getState().auth).toBeNull();
    expect(h.storage.getItem('arena.token')).toBeNull();
  });

  it('returns to the lobby when kicked', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: true, state: roomFixture() }) } });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.socket().push('participant_left', { seq: 11, participant_id: 'u1', kicked: true });
    expect(h.arena.room).toBeNull();
    expect(h.arena.getState().toasts.at(-1)!.text).toBe('The host removed you from the room.');
    expect(h.storage.getItem('arena.room')).toBeNull();
  });

  it('remembers a finished match so a reload shows the results', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: true, state: matchFixture() }) } });
    h.arena.connect();
    h.socket().connect();
    await h.arena.joinRoom({ room_id: 'r1', role: 'player' });
    h.socket().push('session_complete', { seq: 41, ranking: [], report_url: '/api/v1/rooms/r1/report' });
    expect(JSON.parse(h.storage.getItem('arena.room')!).finished).toBe(true);
    const again = makeArena({ storage: h.storage });
    expect(again.arena.getState().results).toEqual({ room_id: 'r1' });
  });
});
