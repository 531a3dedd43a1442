"""``python -m personas.knowledge``: index load time and retrieval cost per question (CPU ms).

``--write-vectors`` rewrites the shipped note vectors (personas/data/knowledge/vectors.npz) after notes change.
``--ask "question" [--lang ko]`` prints the top notes for one question.

Figures come from ``time.process_time`` around one ``search`` call per question, after warm-up; the
question texts are the bank's (cold: each text's first call) and again (warm: the encoder's query
cache hit), so "cold" is the cost of an unseen question.
"""

from __future__ import annotations

import argparse
import statistics
import time

from personas.knowledge import load_notes, search
from personas.knowledge.retrieval import VIEW_CHARS, index
from personas.knowledge.vectors import vectors_for, write_shipped



def _bank_texts(lang: str) -> list[str]:
    """The bank's question texts in ``lang`` (rooms' packaged bank)."""
    from rooms.questions import default_bank

    return [q.text(lang) for q in default_bank()]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m personas.knowledge")
    ap.add_argument("--write-vectors", action="store_true")
    ap.add_argument("--ask")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--context")
    ap.add_argument("--persona")
    a = ap.parse_args(argv)
    if a.write_vectors:
        from scoring.embeddings import get_encoder

        ship: dict = {}
        for lang in ("ko", "en"):
            index(lang, ship=ship)
        enc = get_encoder("ko")
        qs = [t[:VIEW_CHARS] for lang in ("ko", "en") for t in _bank_texts(lang)]
        vectors_for(enc, qs, role="query", write_shipped=True, ship_also=ship)
        print(f"wrote {write_shipped(ship)} ({len(ship)} vectors)")
        return 0
    if a.ask:
        for n, s in search(a.ask, a.lang, k=5, persona_id=a.persona, context=a.context):
            print(f"{s:.3f}  {n.id:28s} {n.title}")
        return 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    from scoring.embeddings import get_encoder

    get_encoder("ko")
    t1 = time.perf_counter()
    loads = {lang: index(lang).load_s for lang in ("ko", "en")}
    print(f"notes: {len(load_notes()['en'])} per language; encoder load {t1 - t0:.2f} s; "
          f"index build ko {loads['ko']:.2f} s, en {loads['en']:.2f} s "
          f"(first use total {time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU)")
    for lang in ("ko", "en"):
        for label, prefix in (("bank", ""), ("unseen", "Q. ")):
            ms = []
            for text in _bank_texts(lang):
                c = time.process_time()
                search(prefix + text, lang, k=3)
                ms.append((time.process_time() - c) * 1000)
            print(f"{lang} {label}: {len(ms)} questions, median {statistics.median(ms):.1f} ms, "
                  f"p95 {_pct(ms, 0.95):.1f} ms, max {max(ms):.1f} ms CPU per search")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
