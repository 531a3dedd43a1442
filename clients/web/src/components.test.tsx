import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { ArenaContext } from './useArena';
import { _resetPersonaCache } from './components/CreateRoomDialog';
import { Leaderboard } from './components/Leaderboard';
import { flush, makeArena, MemStorage, matchFixture, reportFixture, roomFixture, type Harness } from './test/fakes';
import type { LeaderboardEntry } from './types';

function mount(h: Harness) {
  return render(
    <ArenaContext.Provider value={h.arena}>
      <App />
    </ArenaContext.Provider>,
  );
}

/** A signed-in harness, connected, inside `state` (joined through join_room). */
async function inRoom(state: any, opts: Parameters<typeof makeArena>[0] = {}) {
  const h = makeArena({ ...opts, replies: { join_room: () => ({ ok: true, state }), ...(opts.replies ?? {}) } });
  h.arena.connect();
  h.socket().connect();
  h.socket().push('connection_ack', { user_id: 'u1', server_time_ms: h.clock.now, protocol_version: 1 });
  await h.arena.joinRoom({ room_id: state.room_id, role: state.you.role });
  const utils = mount(h);
  return { h, ...utils };
}

describe('Sign-in', () => {
  it('signs in with a display name and lands in the lobby', async () => {
    const h = makeArena({ signedIn: false });
    mount(h);
    expect(screen.getByRole('heading', { name: 'Enter the arena' })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Display name'), 'Jiwoo');
    await userEvent.click(screen.getByRole('button', { name: 'Play as guest' }));
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Lobby' })).toBeInTheDocument());
    expect(localStorage.getItem('arena.token')).toBeNull(); // the harness uses its own storage
    expect(h.storage.getItem('arena.token')).toBe('tok-new');
  });

  it('explains an empty name instead of sending it', async () => {
    const h = makeArena({ signedIn: false });
    mount(h);
    await userEvent.click(screen.getByRole('button', { name: 'Play as guest' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Please enter a display name');
    expect(h.fetch).not.toHaveBeenCalled();
  });

  it('defaults to Korean for a Korean browser and switches language', async () => {
    const h = makeArena({ signedIn: false, lang: 'ko' });
    mount(h);
    expect(screen.getByRole('heading', { name: '아레나 입장' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'EN' }));
    expect(screen.getByRole('heading', { name: 'Enter the arena' })).toBeInTheDocument();
    expect(h.storage.getItem('arena.lang')).toBe('en');
  });
});

describe('Lobby', () => {
  const rooms = [
    { room_id: 'a', title: 'Backend night', phase: 'lobby', humans: 1, max_humans: 4, personas: ['naver', 'toss'], language: 'ko' },
    { room_id: 'b', title: 'Full house', phase: 'lobby', humans: 2, max_humans: 2, personas: ['kakao'], language: 'en' },
  ];

  it('lists rooms live and joins one', async () => {
    const h = makeArena({ replies: { list_rooms: () => ({ ok: true, rooms }), join_room: () => ({ ok: true, state: roomFixture() }) } });
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await screen.findByText('Backend night');
    expect(screen.getByRole('button', { name: 'Join: Full house' })).toBeDisabled();
    act(() => h.socket().push('lobby_update', { rooms: [...rooms, { ...rooms[0], room_id: 'c', title: 'New one' }] }));
    expect(screen.getByText('New one')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Join: Backend night' }));
    await screen.findByText('Waiting room');
    expect(h.socket().sentOf('join_room').at(-1)).toEqual({ room_id: 'a', role: 'player' });
  });

  it('joins by code and shows a plain error when the code is wrong', async () => {
    const h = makeArena({ replies: { join_room: () => ({ ok: false, error: { code: 'room_not_found', message: 'no' } }) } });
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await userEvent.type(screen.getByLabelText('Join code'), 'zz9');
    await userEvent.click(screen.getByRole('button', { name: 'Join with code' }));
    expect(h.socket().sentOf('join_room').at(-1)).toEqual({ join_code: 'ZZ9', role: 'player' });
    expect(await screen.findByRole('alert')).toHaveTextContent('That room does not exist any more');
    expect(screen.getByRole('heading', { name: 'Lobby' })).toBeInTheDocument();
  });

  it('creates a room with chosen personas, skills and settings', async () => {
    _resetPersonaCache();
    const h = makeArena({
      replies: {
        create_room: () => ({ ok: true, room_id: 'r1', join_code: 'QX7K2P' }),
        join_room: () => ({ ok: true, state: roomFixture() }),
      },
    });
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await userEvent.click(screen.getByTestId('create-room'));
    const dialog = screen.getByRole('dialog', { name: 'Create a room' });
    // Persona catalogue: company, summary and skills are shown.
    await within(dialog).findByText('Naver');
    expect(within(dialog).getByText('Search and large-scale systems')).toBeInTheDocument();
    expect(within(dialog).getByText('MSA')).toBeInTheDocument();
    expect(h.fetch).toHaveBeenCalledWith('/api/v1/personas?lang=en', expect.anything());
    // naver + kakao are pre-picked; add toss and deselect kakao.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Toss Hyun' }));
    await userEvent.click(within(dialog).getByRole('button', { name: '카카오 Minji' }));
    fireEvent.change(within(dialog).getByLabelText('Skill level for Toss Hyun'), { target: { value: '5' } });
    fireEvent.change(within(dialog).getByLabelText('Questions'), { target: { value: '4' } });
    await userEvent.click(within(dialog).getByLabelText('Company'));
    await userEvent.click(within(dialog).getByLabelText('Simultaneous'));
    await userEvent.click(within(dialog).getByLabelText('Private room (join code only)'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create room' }));
    await screen.findByText('Waiting room');
    const sent = h.socket().sentOf('create_room')[0];
    expect(sent).toMatchObject({
      personas: [{ id: 'naver', skill: 3 }, { id: 'toss', skill: 5 }],
      question_count: 4,
      categories: ['behavioural', 'technical', 'culture_fit'],
      turn_mode: 'simultaneous',
      private: true,
      language: 'en',
    });
    expect(h.socket().sentOf('join_room').at(-1)).toMatchObject({ room_id: 'r1', role: 'player' });
  });

  it('sends follow_ups and score_expression; follow-ups are off in simultaneous mode', async () => {
    _resetPersonaCache();
    const h = makeArena({
      replies: {
        create_room: () => ({ ok: true, room_id: 'r1', join_code: 'QX7K2P' }),
        join_room: () => ({ ok: true, state: roomFixture() }),
      },
    });
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await userEvent.click(screen.getByTestId('create-room'));
    const dialog = screen.getByRole('dialog', { name: 'Create a room' });
    await within(dialog).findByText('Naver');
    const followUps = within(dialog).getByRole('checkbox', { name: 'Follow-up questions' });
    const expression = within(dialog).getByRole('checkbox', { name: 'Score facial expression (advisory otherwise)' });
    expect(followUps).not.toBeChecked();
    expect(expression).not.toBeChecked();
    expect(expression).toHaveAccessibleDescription(/facial expression counts a little/);
    // Keyboard: focus the switch and toggle it with Space.
    followUps.focus();
    await userEvent.keyboard(' ');
    expect(followUps).toBeChecked();
    // Simultaneous: disabled, unchecked, with a hint saying why.
    await userEvent.click(within(dialog).getByLabelText('Simultaneous'));
    expect(followUps).toBeDisabled();
    expect(followUps).not.toBeChecked();
    expect(followUps).toHaveAccessibleDescription('Only in round robin mode.');
    // Back to round robin: enabled again and the choice is kept.
    await userEvent.click(within(dialog).getByLabelText('Round robin'));
    expect(followUps).toBeEnabled();
    expect(followUps).toBeChecked();
    await userEvent.click(expression);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create room' }));
    await screen.findByText('Waiting room');
    expect(h.socket().sentOf('create_room')[0]).toMatchObject({ turn_mode: 'round_robin', follow_ups: true, score_expression: true });
  });

  it('never asks for follow-ups in a simultaneous room, and shows Korean labels', async () => {
    _resetPersonaCache();
    const h = makeArena({
      lang: 'ko',
      replies: {
        create_room: () => ({ ok: true, room_id: 'r1', join_code: 'QX7K2P' }),
        join_room: () => ({ ok: true, state: roomFixture() }),
      },
    });
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await userEvent.click(screen.getByTestId('create-room'));
    const dialog = screen.getByRole('dialog', { name: '방 만들기' });
    await within(dialog).findByText('네이버');
    await userEvent.click(within(dialog).getByRole('checkbox', { name: '꼬리 질문' }));
    expect(within(dialog).getByRole('checkbox', { name: '표정도 점수에 반영 (기본은 참고용)' })).not.toBeChecked();
    await userEvent.click(within(dialog).getByLabelText('동시 답변'));
    expect(within(dialog).getByRole('checkbox', { name: '꼬리 질문' })).toBeDisabled();
    await userEvent.click(within(dialog).getByRole('button', { name: '방 만들기' }));
    await waitFor(() => expect(h.socket().sentOf('create_room')).toHaveLength(1));
    expect(h.socket().sentOf('create_room')[0]).toMatchObject({ turn_mode: 'simultaneous', follow_ups: false, score_expression: false });
  });

  it('quick match creates a ready-made room in one click', async () => {
    const h = makeArena({
      replies: {
        create_room: () => ({ ok: true, room_id: 'r1', join_code: 'QX7K2P' }),
        join_room: () => ({ ok: true, state: roomFixture() }),
      },
    });
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await userEvent.click(screen.getByTestId('quick-match'));
    await screen.findByText('Waiting room');
    expect(h.socket().sentOf('create_room')[0]).toMatchObject({
      personas: [{ id: 'naver', skill: 3 }, { id: 'kakao', skill: 3 }],
      question_count: 3,
      answer_seconds: 60,
      language: 'en',
      private: false,
    });
  });

  it('closes the create dialog with Escape', async () => {
    _resetPersonaCache();
    const h = makeArena();
    h.arena.connect();
    h.socket().connect();
    mount(h);
    await userEvent.click(screen.getByTestId('create-room'));
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('Waiting room', () => {
  it('shows seats, the join code, and lets the host start', async () => {
    const { h } = await inRoom(roomFixture());
    expect(screen.getByTestId('join-code')).toHaveTextContent('QX7K2P');
    expect(screen.getByText('Player Park')).toBeInTheDocument();
    expect(screen.getByText('Seojun (Naver)')).toBeInTheDocument();
    expect(screen.getAllByLabelText('Open seat')).toHaveLength(1); // 3 seats, 2 humans
    await userEvent.click(screen.getByTestId('start-match'));
    expect(h.socket().sentOf('start_match')).toHaveLength(1);
  });

  it('toggles ready and reflects ready_changed', async () => {
    const state = roomFixture({ you: { participant_id: 'u2', role: 'player' } });
    const { h } = await inRoom(state);
    expect(screen.queryByTestId('start-match')).toBeNull();
    await userEvent.click(screen.getByTestId('ready-toggle'));
    expect(h.socket().sentOf('set_ready')).toEqual([{ ready: true }]);
    act(() => h.socket().push('ready_changed', { seq: 11, room_id: 'r1', participant_id: 'u2', ready: true }));
    expect(screen.getByTestId('ready-toggle')).toHaveTextContent('Not ready yet');
  });

  it('explains why the match cannot start yet', async () => {
    await inRoom(roomFixture(), { replies: { start_match: () => ({ ok: false, error: { code: 'not_ready', message: 'not ready: Player Park' } }) } });
    await userEvent.click(screen.getByTestId('start-match'));
    expect(await screen.findByRole('alert')).toHaveTextContent('Not every player is ready yet.');
  });

  it('host can remove a player', async () => {
    const { h } = await inRoom(roomFixture());
    await userEvent.click(screen.getByRole('button', { name: 'Remove Player Park from the room' }));
    expect(h.socket().sentOf('kick_player')).toEqual([{ participant_id: 'u2' }]);
  });
});

describe('Match', () => {
  it('shows the question, whose turn it is, and a countdown from the server deadline', async () => {
    // The server's clock is 5 s ahead of ours; the deadline (server epoch ms) is 12 s after the server's now.
    const h0 = matchFixture({ turn: { participant_id: 'u2', deadline_ms: 1_000_000 + 5_000 + 12_000 } });
    const { h } = await inRoom(h0);
    act(() => h.socket().push('connection_ack', { user_id: 'u1', server_time_ms: h.clock.now + 5_000, protocol_version: 1 }));
    expect(screen.getByTestId('question-text')).toHaveTextContent('Tell us about a conflict');
    expect(screen.getByText('Question 1 of 3')).toBeInTheDocument();
    expect(screen.getByTestId('match-status')).toHaveTextContent('Player Park is answering');
    await waitFor(() => expect(screen.getByRole('timer').getAttribute('data-seconds')).toBe('12'));
    expect(screen.getByTestId('submit-answer')).toBeDisabled();
  });

  it('on your turn, sends throttled drafts and submits with Ctrl+Enter', async () => {
    const { h } = await inRoom(matchFixture(), { replies: { submit_answer: () => ({ ok: true, answer_id: 'a7' }) } });
    expect(screen.getByTestId('match-status')).toHaveTextContent('Your turn!');
    const box = screen.getByLabelText(/Your answer/);
    fireEvent.change(box, { target: { value: 'S' } });
    fireEvent.change(box, { target: { value: 'Situation: our deploys failed' } });
    expect(h.socket().sentOf('answer_draft')).toEqual([{ text: 'S' }]);
    await waitFor(() => expect(h.socket().sentOf('answer_draft').at(-1)).toEqual({ text: 'Situation: our deploys failed' }), { timeout: 1000 });
    fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(h.socket().sentOf('submit_answer')).toEqual([{ text: 'Situation: our deploys failed' }]));
    expect(await screen.findByText('Answer submitted', { selector: '.toast span' })).toBeInTheDocument();
    expect(screen.getByTestId('submit-answer')).toBeDisabled();
  });

  it('streams an AI answer, then reveals its score with dimension bars and feedback', async () => {
    const { h } = await inRoom(matchFixture({ answers: [], turn: { participant_id: 'ai:naver', deadline_ms: 1_020_000 } }));
    act(() => h.socket().push('answer_stream', { seq: 41, room_id: 'r1', participant_id: 'ai:naver', text: 'At Naver we' }));
    expect(screen.getByText('At Naver we')).toHaveClass('streaming');
    act(() => h.socket().push('answer_stream', { seq: 42, room_id: 'r1', participant_id: 'ai:naver', text: 'At Naver we sharded the index' }));
    act(() => h.socket().push('answer_submitted', { seq: 43, room_id: 'r1', participant_id: 'ai:naver', question_id: 'q1', answer_id: 'a1', text: 'At Naver we sharded the index.' }));
    expect(screen.getByText('At Naver we sharded the index.')).not.toHaveClass('streaming');
    act(() => h.socket().push('phase_changed', { seq: 44, room_id: 'r1', phase: 'scoring', phase_ends_ms: 1_030_000, question_index: 1 }));
    expect(screen.getByTestId('match-status')).toHaveTextContent('Scoring answers');
    act(() => h.socket().push('phase_changed', { seq: 45, room_id: 'r1', phase: 'reveal', phase_ends_ms: 1_035_000, question_index: 1 }));
    act(() =>
      h.socket().push('score_update', {
        seq: 46,
        room_id: 'r1',
        participant_id: 'ai:naver',
        question_id: 'q1',
        answer_id: 'a1',
        score: 84,
        dimensions: { relevance: 90, structure: 80 },
        feedback: 'Strong numbers.',
      }),
    );
    expect(screen.getByLabelText('Score 84')).toBeInTheDocument();
    expect(screen.getByRole('meter', { name: 'Relevance' })).toHaveAttribute('aria-valuenow', '90');
    expect(screen.getByText('Strong numbers.')).toBeInTheDocument();
  });

  it('shows a follow-up to everyone under the question when follow_up_asked arrives', async () => {
    // u1 (you) watches; Player Park gets the follow-up.
    const { h } = await inRoom(matchFixture({ turn: { participant_id: 'u2', deadline_ms: 1_020_000 } }));
    expect(screen.queryByTestId('follow-up')).toBeNull();
    act(() => h.socket().push('follow_up_asked', { seq: 41, room_id: 'r1', participant_id: 'u2', question_id: 'q1', text: 'What would you do differently?', deadline_ms: 1_030_000 }));
    const fu = screen.getByRole('group', { name: 'Follow-up' });
    expect(fu).toHaveTextContent('What would you do differently?');
    expect(fu).toHaveTextContent('for Player Park');
    act(() => h.socket().push('turn_started', { seq: 42, room_id: 'r1', participant_id: 'u2', question_id: 'q1', deadline_ms: 1_030_000, follow_up: 'What would you do differently?' }));
    expect(screen.getByTestId('match-status')).toHaveTextContent('Player Park is answering');
    expect(screen.getByTestId('submit-answer')).toBeDisabled();
    // Park's follow-up answer gets its own card, labelled.
    act(() => h.socket().push('answer_submitted', { seq: 43, room_id: 'r1', participant_id: 'u2', question_id: 'q1', answer_id: 'a9', text: 'I would write the RFC first.', follow_up_of: 'a8' }));
    const card = screen.getByText('I would write the RFC first.').closest('article')!;
    expect(card).toHaveAttribute('data-follow-up', 'true');
    expect(within(card).getByText('Follow-up')).toBeInTheDocument();
    // A new question clears it.
    act(() => h.socket().push('question_asked', { seq: 44, room_id: 'r1', question_id: 'q2', text: 'Why us?', category: 'company', topic: 't', difficulty: 2, index: 2, total: 3 }));
    expect(screen.queryByTestId('follow-up')).toBeNull();
  });

  it('lets you answer your follow-up in the same answer box after your main answer', async () => {
    const main = { answer_id: 'a2', participant_id: 'u1', question_id: 'q1', text: 'We argued about caching.' };
    const { h } = await inRoom(matchFixture({ turn: { participant_id: 'u2', deadline_ms: 1_020_000 }, answers: [main as any] }), {
      replies: { submit_answer: () => ({ ok: true, answer_id: 'a3' }) },
    });
    expect(screen.getByTestId('submit-answer')).toBeDisabled();
    act(() => h.socket().push('turn_started', { seq: 41, room_id: 'r1', participant_id: 'u1', question_id: 'q1', deadline_ms: 1_030_000, follow_up: 'How did you measure the cache hit rate?' }));
    expect(screen.getByTestId('follow-up')).toHaveTextContent('How did you measure the cache hit rate?');
    expect(screen.getByTestId('follow-up')).toHaveTextContent('for you');
    expect(screen.getByTestId('match-status')).toHaveTextContent('Your turn!');
    const box = screen.getByLabelText(/Your answer/);
    expect(box).toHaveValue('');
    expect(box).toHaveAccessibleDescription(/How did you measure the cache hit rate\?/);
    fireEvent.change(box, { target: { value: 'Grafana, 92 percent.' } });
    await userEvent.click(screen.getByTestId('submit-answer'));
    await waitFor(() => expect(h.socket().sentOf('submit_answer')).toEqual([{ text: 'Grafana, 92 percent.' }]));
    await waitFor(() => expect(screen.getByTestId('submit-answer')).toBeDisabled());
  });

  it('shows the follow-up from a snapshot (reload during a follow-up turn), in Korean', async () => {
    await inRoom(
      matchFixture({ turn: { participant_id: 'u2', deadline_ms: 1_020_000, follow_up: '다시 한다면 무엇을 바꾸겠어요?' } }),
      { lang: 'ko' },
    );
    const fu = screen.getByRole('group', { name: '꼬리 질문' });
    expect(fu).toHaveTextContent('다시 한다면 무엇을 바꾸겠어요?');
    expect(fu).toHaveTextContent('Player Park 님에게');
  });

  it('marks an answer sent at the deadline', async () => {
    const { h } = await inRoom(matchFixture({ answers: [] }));
    act(() => h.socket().push('answer_submitted', { seq: 41, room_id: 'r1', participant_id: 'u2', question_id: 'q1', answer_id: 'a5', text: 'half an answer', auto_submitted: true, skipped: false }));
    expect(screen.getByText('Time’s up', { exact: false })).toBeInTheDocument();
  });

  it('re-orders the leaderboard on leaderboard_update', async () => {
    const { h } = await inRoom(matchFixture());
    const names = () => within(screen.getByTestId('leaderboard')).getAllByRole('listitem').map((li) => li.getAttribute('data-participant'));
    expect(names()).toEqual(['ai:naver', 'u1', 'u2']);
    act(() =>
      h.socket().push('leaderboard_update', {
        seq: 41,
        room_id: 'r1',
        entries: [
          { participant_id: 'u1', display_name: 'Host Hana', kind: 'human', score: 88, rank: 1 },
          { participant_id: 'ai:naver', display_name: 'Seojun (Naver)', kind: 'ai', score: 71, rank: 2 },
          { participant_id: 'u2', display_name: 'Player Park', kind: 'human', score: 0, rank: 3 },
        ],
      }),
    );
    expect(names()).toEqual(['u1', 'ai:naver', 'u2']);
    expect(screen.getByLabelText('up')).toBeInTheDocument();
  });

  it('resyncs with request_state on a seq gap', async () => {
    const fresh = matchFixture({ seq: 50, question: { question_id: 'q2', text: 'Why this company?', category: 'company', index: 2, total: 3 }, answers: [] });
    const { h } = await inRoom(matchFixture(), { replies: { request_state: () => ({ ok: true, state: fresh }) } });
    act(() => h.socket().push('answer_stream', { seq: 45, room_id: 'r1', participant_id: 'u2', text: 'x' }));
    await screen.findByText('Why this company?');
    expect(h.socket().sentOf('request_state')).toHaveLength(1);
  });

  it('spectators see everything but cannot answer', async () => {
    await inRoom(matchFixture({ you: { participant_id: null, role: 'spectator' }, join_code: null }));
    expect(screen.getByText('Spectating')).toBeInTheDocument();
    expect(screen.queryByLabelText(/Your answer/)).toBeNull();
    expect(screen.getByTestId('leaderboard')).toBeInTheDocument();
    expect(screen.getByTestId('match-status')).toHaveTextContent('Host Hana is answering');
  });

  it('shows a reconnecting banner while offline', async () => {
    const { h } = await inRoom(matchFixture());
    act(() => h.socket().drop());
    expect(screen.getByText('Connection lost — reconnecting…', { selector: '.offline-banner' })).toBeInTheDocument();
    await act(async () => {
      h.socket().connect();
      await flush();
    });
    expect(screen.queryByText('Connection lost — reconnecting…', { selector: '.offline-banner' })).toBeNull();
    expect(h.socket().sentOf('join_room')).toHaveLength(2);
  });
});

describe('Results', () => {
  it('shows podium, ranking, chart, table and your answers vs the best', async () => {
    const { h } = await inRoom(matchFixture());
    act(() => h.socket().push('session_complete', { seq: 41, room_id: 'r1', ranking: reportFixture.ranking, report_url: '/api/v1/rooms/r1/report' }));
    await screen.findByText('Final results');
    expect(h.fetch).toHaveBeenCalledWith('/api/v1/rooms/r1/report', expect.anything());
    const ranking = within(screen.getByTestId('final-ranking')).getAllByRole('listitem').map((li) => li.getAttribute('data-participant'));
    expect(ranking).toEqual(['u2', 'ai:naver', 'u1']);
    expect(screen.getByRole('img', { name: /Line chart/ })).toBeInTheDocument();
    expect(screen.getByTestId('score-chart').querySelectorAll('polyline')).toHaveLength(3);
    expect(screen.getAllByText('Your answer')).toHaveLength(3);
    expect(screen.getByText('Host answer 1')).toBeInTheDocument();
    expect(screen.getByText('Park answer 1')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId('back-to-lobby'));
    expect(screen.getByRole('heading', { name: 'Lobby' })).toBeInTheDocument();
  });

  it('retries while the report is not ready, then offers a retry button', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let calls = 0;
    const storage = new MemStorage();
    // A reload after the match finished: the stored room is marked finished, so the report is shown.
    storage.setItem('arena.room', JSON.stringify({ room_id: 'r1', role: 'player', finished: true }));
    const h = makeArena({
      storage,
      fetchImpl: async () => {
        calls++;
        return new Response(JSON.stringify({ ok: false, error: { code: 'room_not_found', message: 'no finished match' } }), { status: 404 });
      },
    });
    mount(h);
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(calls).toBe(6);
    expect(await screen.findByRole('button', { name: 'Try again' })).toBeInTheDocument();
    vi.useRealTimers();
  });
});

describe('Leaderboard', () => {
  it('labels each row with rank, name and score', () => {
    const entries: LeaderboardEntry[] = [
      { participant_id: 'a', display_name: 'Ann', kind: 'human', score: 90, rank: 1 },
      { participant_id: 'b', display_name: 'Bot', kind: 'ai', score: 80, rank: 2 },
    ];
    const h = makeArena();
    render(
      <ArenaContext.Provider value={h.arena}>
        <Leaderboard entries={entries} participants={[]} myId="a" />
      </ArenaContext.Provider>,
    );
    expect(screen.getByLabelText('1. Ann 90')).toHaveClass('me');
    expect(screen.getByLabelText('2. Bot 80')).toBeInTheDocument();
  });
});
