import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { parseHash } from './route';
import { TimedTranscript } from './components/Replay';
import { htranslate } from './historyI18n';

describe('history routes', () => {
  it('parses #/history and #/replay/<id> with a share token and a participant', () => {
    expect(parseHash('#/history')).toEqual({ page: 'history' });
    expect(parseHash('#/replay/ab12?share=tok_1&participant=u_9')).toEqual({
      page: 'replay', roomId: 'ab12', share: 'tok_1', participant: 'u_9',
    });
    expect(parseHash('#/replay/NOT-HEX')).toEqual({ page: null });
    expect(parseHash('')).toEqual({ page: null });
  });
});

describe('TimedTranscript', () => {
  const words = [
    { word: 'I', start: 0.1, end: 0.3 },
    { word: 'measured', start: 0.35, end: 0.9 },
    { word: 'latency', start: 1.0, end: 1.5 },
  ];
  it('highlights exactly the word being spoken at the playback time', () => {
    const { container, rerender } = render(<TimedTranscript words={words} time={0.5} />);
    expect([...container.querySelectorAll('.word.now')].map((e) => e.textContent?.trim())).toEqual(['measured']);
    rerender(<TimedTranscript words={words} time={1.2} />);
    expect([...container.querySelectorAll('.word.now')].map((e) => e.textContent?.trim())).toEqual(['latency']);
    rerender(<TimedTranscript words={words} time={0.95} />);
    expect(container.querySelectorAll('.word.now')).toHaveLength(0);
  });
});

describe('history strings', () => {
  it('has ko and en for each key', () => {
    expect(htranslate('ko', 'boards.week')).toBe('이번 주');
    expect(htranslate('en', 'boards.matches', { n: 3 })).toBe('3 matches');
  });
});
