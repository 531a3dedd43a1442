"""Fitting an answer into the turn: thinking time, and trimming pieces to the words that fit.

Length always fits the time budget: ``words / words_per_minute * 60000 +
think_ms <= budget_ms - MARGIN_MS`` (words = ``len(text.split())``) whenever that
is possible at all; with a tiny budget the answer is cut to what fits, possibly empty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .request import MARGIN_MS, THINK_MAX_MS, THINK_MIN_MS

OPTIONAL_PRIO = 60      # pieces below this are dropped first when trimming


@dataclass
class Piece:
    """One sentence (or two) of the answer.

    ``prio``: higher survives trimming longer. ``short``: a shorter wording tried before
    the piece is dropped. ``story``: tells part of the chosen STAR story.
    """

    text: str
    prio: int
    short: str | None = None
    story: bool = False


def timing(budget_ms: int, skill: int, question_chars: int, wpm: int, rng: random.Random) -> tuple[int, int]:
    """(think_ms 800..3000, max words that fit ``budget_ms``). Slower starts for weak candidates."""
    think = rng.randint(1_200, 2_400) + (300 if skill <= 2 else 0) + min(300, question_chars * 2)
    avail = int(budget_ms) - MARGIN_MS
    think = min(think, max(THINK_MIN_MS, avail // 5))
    think = max(THINK_MIN_MS, min(THINK_MAX_MS, think))
    speak_ms = avail - think
    max_words = (speak_ms * wpm) // 60_000 if speak_ms > 0 else 0
    return think, max(0, max_words)


def fit(pieces: list[Piece], max_words: int, max_pieces: int | None = None) -> tuple[str, bool]:
    """Trim the pieces to at most ``max_words`` words (and ``max_pieces`` pieces), keeping their order.

    0. keep the ``max_pieces`` pieces of substance (priority >= 60) of highest priority (None: all);

    1. drop optional pieces (priority < 60: openings, closings, asides), lowest first;
    2. switch pieces to their short wording, lowest priority first;
    3. keep pieces greedily by priority while they fit (whole sentences only);
    4. if no piece of substance (priority >= 60) fits, cut the most important piece to ``max_words`` words.

    Returns (text, whether a piece of the story survived).
    """
    pieces = [pc for pc in pieces if pc.text]
    if max_pieces is not None:
        content = sorted((i for i in range(len(pieces)) if pieces[i].prio >= OPTIONAL_PRIO),
                         key=lambda i: (-pieces[i].prio, i))
        drop = set(content[max_pieces:])
        pieces = [pc for i, pc in enumerate(pieces) if i not in drop]
    if max_words <= 0 or not pieces:
        return "", False
    texts = [pc.text for pc in pieces]
    counts = [len(t.split()) for t in texts]
    alive = [True] * len(pieces)
    total = sum(counts)
    order_low = sorted(range(len(pieces)), key=lambda i: (pieces[i].prio, -i))
    for i in order_low:
        if total <= max_words or pieces[i].prio >= OPTIONAL_PRIO:
            break
        alive[i] = False
        total -= counts[i]
    for i in order_low:
        if total <= max_words:
            break
        if alive[i] and pieces[i].short:
            n = len(pieces[i].short.split())
            total -= counts[i] - n
            texts[i], counts[i] = pieces[i].short, n
    if total > max_words:
        room = max_words
        keep = [False] * len(pieces)
        for i in sorted((i for i in range(len(pieces)) if alive[i]), key=lambda i: (-pieces[i].prio, i)):
            if counts[i] <= room:
                keep[i] = True
                room -= counts[i]
        alive = keep
    kept = [i for i in range(len(pieces)) if alive[i]]
    if not kept or all(pieces[i].prio < OPTIONAL_PRIO for i in kept):
        # nothing of substance fits whole: the most important piece, cut to the words that fit
        i = max(range(len(pieces)), key=lambda i: (pieces[i].prio, -i))
        return " ".join(texts[i].split()[:max_words]), pieces[i].story
    return " ".join(texts[i] for i in kept), any(pieces[i].story for i in kept)
