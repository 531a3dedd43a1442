import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { ArenaContext } from '../useArena';
import { jsonResponse, makeArena, roomFixture } from '../test/fakes';
import { routeOf } from './route';

const PLAN = {
  items: [
    {
      id: 'dimension:depth', kind: 'dimension', dimension: 'depth', average: 50, answers: 4,
      reason: 'Your depth averaged 50/100 over 4 answers in your last 2 matches. Lowest: 20 on "Process vs thread" (2026-12-01).',
      practice: 'Explain why, not only what.', question_ids: ['tech-001', 'tech-002', 'tech-003'], evidence: [],
      solo_room: { title: 'Practice: depth', language: 'en', question_count: 3, personas: [], max_humans: 1, private: true,
        solo: true, answer_seconds: 90, question_source: { question_ids: ['tech-001', 'tech-002', 'tech-003'] } },
    },
  ],
  based_on: { matches: 2, answers: 4 }, averages: { depth: 50 }, updated_at: '2026-12-01T10:00:00+00:00',
};

function mount(hash: string, replies = {}) {
  window.location.hash = hash;
  const h = makeArena({ replies });
  h.arena.connect();
  h.socket().connect();
  h.socket().push('connection_ack', { user_id: 'u1', server_time_ms: h.clock.now, protocol_version: 1 });
  render(
    <ArenaContext.Provider value={h.arena}>
      <App />
    </ArenaContext.Provider>,
  );
  return h;
}

afterEach(() => {
  vi.unstubAllGlobals();
  window.location.hash = '';
});

describe('practice pages', () => {
  it('routes by hash', () => {
    expect([routeOf('#/resume'), routeOf('#/plan'), routeOf('#/'), routeOf('')]).toEqual(['resume', 'plan', null, null]);
  });

  it('#/plan shows why each item is there and starts a solo room in one click', async () => {
    const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => (url.startsWith('/api/v1/me/learning-plan') ? jsonResponse(PLAN) : jsonResponse({}, 404)));
    vi.stubGlobal('fetch', fetchMock);
    const room = roomFixture({ room_id: 'solo1' });
    const h = mount('#/plan', {
      create_room: () => ({ ok: true, room_id: 'solo1', join_code: 'ABC123' }),
      join_room: () => ({ ok: true, state: room }),
    });
    expect(await screen.findByText(/Lowest: 20 on "Process vs thread"/)).toBeInTheDocument();
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/me/learning-plan?lang=en');
    expect((fetchMock.mock.calls[0][1] as RequestInit).headers).toMatchObject({ Authorization: 'Bearer tok-1' });
    await userEvent.click(screen.getByRole('button', { name: 'Practise alone now' }));
    await waitFor(() => expect(h.socket().sentOf('start_match')).toHaveLength(1));
    expect(h.socket().sentOf('create_room')[0]).toEqual(PLAN.items[0].solo_room);
  });

  it('#/resume lists the uploads in Korean', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ resumes: [{ resume_id: 'r_1', filename: '이력서.docx', language: 'ko', doc_kind: 'resume', questions: 12, created_at: '' }] })));
    const h = makeArena({ lang: 'ko' });
    window.location.hash = '#/resume';
    h.arena.connect();
    render(
      <ArenaContext.Provider value={h.arena}>
        <App />
      </ArenaContext.Provider>,
    );
    expect(await screen.findByText(/이력서\.docx/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: '이력서나 채용 공고로 만드는 질문' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '학습 계획' })).toHaveAttribute('href', '#/plan');
  });
});
