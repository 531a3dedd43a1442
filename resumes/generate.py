"""A tailored question set from a parsed résumé or job posting, offline.

Two parts, both in the question bank's shape (``rooms/questions.py``: ``id``, ``category``, ``topic``,
``difficulty``, ``text``/``key_points``/``red_flags`` per language) so the scorer judges the answers
like any bank question:

* **Own questions** (:func:`own_questions`) about the candidate's projects, quantified claims,
  employers and listed skills (for a posting: its requirements), from the templates in
  ``resumes/data/templates.json``. The project name, the quoted claim and the technologies go into
  the question, its rubric key points and its red flags.
* **Bank questions ranked by relevance** (:func:`rank_bank`): multilingual-e5-small (the encoder the
  personas' knowledge base uses, ``scoring.embeddings.get_encoder("ko")``) embeds short snippets of
  the résumé (e5 reads 80 characters per text) and every bank question (vectors cached by
  ``personas.knowledge.vectors``); a question's relevance is the mean of its best three snippet
  cosines, plus 0.01 per résumé skill its text or key points name (at most three), plus 0.06 × the
  IDF-weighted overlap of the résumé's terms with the question's texts and key points (scaled to the
  best question). Company questions
  are left out (they belong to a company's persona); at most four per category.

Each generated question carries ``source`` (``{kind: project|claim|employer|skill|requirement|bank, ref,
evidence}``), ``origin`` (``offline`` | ``llm`` | ``bank``) and, for bank questions, ``relevance``.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from rooms.questions import Question, QuestionBank, default_bank

from .parse import Profile, lexicon

TEMPLATES = Path(__file__).parent / "data" / "templates.json"
SNIPPET_CHARS = 80
MAX_SNIPPETS = 16
LIMITS = {"project": 3, "claim": 3, "employer": 2, "skill": 2, "requirement": 4}
BANK_K = 6
TERM_WEIGHT = 0.06
SKILL_WEIGHT = 0.01
Progress = Callable[[int], None]


@lru_cache(maxsize=1)
def templates() -> dict:
    return json.loads(TEMPLATES.read_text(encoding="utf-8"))


def _fill(obj, values: dict):
    if isinstance(obj, str):
        return obj.format(**values)
    if isinstance(obj, list):
        return [_fill(x, values) for x in obj]
    return {k: _fill(v, values) for k, v in obj.items()}


_JOSA = re.compile(r"([^\s\"'“”‘’])([\"'“”‘’]?)(을\(를\)|은\(는\)|이\(가\)|\(으\)로|\(이\)라고)")
_PAIRS = {"을(를)": ("을", "를"), "은(는)": ("은", "는"), "이(가)": ("이", "가"), "(이)라고": ("이라고", "라고")}


def _final(c: str) -> int | None:
    """The final consonant of how ``c`` ends a word when read in Korean: None (none), 8 (ㄹ) or 1 (another).
    Hangul by its jongseong; digits as read in Sino-Korean (영 일 이 삼 사 오 육 칠 팔 구); Latin by the usual
    loanword reading (…l → ㄹ, …m/n/ng → a nasal, other consonants take a vowel: 스, 트, 크)."""
    if "가" <= c <= "힣":
        j = (ord(c) - 0xAC00) % 28
        return None if j == 0 else (8 if j == 8 else 1)
    if c.isdigit():
        return {"1": 8, "7": 8, "8": 8, "0": 1, "3": 1, "6": 1}.get(c)
    c = c.lower()
    return 8 if c == "l" else (1 if c in "mng" else None)


def korean_particles(text: str) -> str:
    """Resolve the templates' alternations (``을(를)``, ``은(는)``, ``이(가)``, ``(으)로``, ``(이)라고``) by the word
    before them, e.g. ``"…단축"(이)라고`` → ``"…단축"이라고``, ``Redis(으)로`` → ``Redis로``."""
    def pick(m: re.Match) -> str:
        fin, alt = _final(m.group(1)), m.group(3)
        if alt == "(으)로":
            word = "으로" if fin == 1 else "로"
        else:
            word = _PAIRS[alt][0 if fin is not None else 1]
        return m.group(1) + m.group(2) + word
    return _JOSA.sub(pick, text)


def _make(kind: str, qid: str, ref: str, evidence: list[str], values_by_lang: dict[str, dict]) -> dict:
    t = templates()[kind]
    out = {"id": qid, "category": t["category"], "topic": f"resume_{kind}", "company": None, "difficulty": 2,
           "text": {}, "key_points": {}, "red_flags": {}, "origin": "offline",
           "source": {"kind": kind, "ref": ref, "evidence": evidence[:3]}}
    for lang in ("ko", "en"):
        v = values_by_lang[lang]
        fix = korean_particles if lang == "ko" else (lambda x: x)
        out["text"][lang] = fix(_fill(t["text"][lang], v))
        out["key_points"][lang] = [fix(x) for x in _fill(t["key_points"][lang], v)]
        out["red_flags"][lang] = [fix(x) for x in _fill(t["red_flags"][lang], v)]
    return out


def _quote(line: str, limit: int = 140) -> str:
    line = line.strip().rstrip(".")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def own_questions(profile: Profile, id_prefix: str) -> list[dict]:
    """Questions about the candidate's own work (see the module docstring), ids ``{id_prefix}-NN``."""
    out: list[dict] = []

    def nid() -> str:
        return f"{id_prefix}-{len(out) + 1:02d}"

    used_claims: set[str] = set()
    for p in profile.projects[: LIMITS["project"]]:
        skills = ", ".join(p.skills[:4])
        out.append(_make("project", nid(), p.name, p.lines, {
            "en": {"name": p.name, "skills": skills or "the stack you used"},
            "ko": {"name": p.name, "skills": skills or "사용한 기술"}}))
    claims = [c for e in (*profile.projects, *profile.employers) for c in e.claims]
    claims += [n["text"] for n in profile.numbers]
    n_claims = 0
    for c in dict.fromkeys(claims):
        if n_claims >= LIMITS["claim"] or c in used_claims:
            continue
        used_claims.add(c)
        q = _quote(c)
        out.append(_make("claim", nid(), q, [c], {"en": {"claim": q}, "ko": {"claim": q}}))
        n_claims += 1
    for e in profile.employers[: LIMITS["employer"]]:
        out.append(_make("employer", nid(), e.name, e.lines, {
            "en": {"employer": e.name, "role": f" as {e.role}" if e.role else ""},
            "ko": {"employer": e.name, "role": f" ({e.role})" if e.role else ""}}))
    for s in [s["name"] for s in profile.skills if s["name"] in _tech_skills()][: LIMITS["skill"]]:
        out.append(_make("skill", nid(), s, [], {"en": {"skill": s}, "ko": {"skill": s}}))
    for r in profile.requirements[: LIMITS["requirement"]]:
        q = _quote(r, 120)
        out.append(_make("requirement", nid(), q, [r], {"en": {"req": q}, "ko": {"req": q}}))
    return out


@lru_cache(maxsize=1)
def _tech_skills() -> frozenset:
    soft = {"Agile", "Leadership", "Mentoring", "Payments", "Search", "Recommendation", "Security"}
    return frozenset(n for n in lexicon()["skills"] if n not in soft)


def snippets(profile: Profile) -> list[str]:
    """Short texts (≤ 80 characters) that stand for the résumé in the embedding ranking."""
    out = []
    for p in profile.projects:
        out.append(f"{p.name}: {', '.join(p.skills)}" if p.skills else p.name)
        out.extend(p.lines)
    for e in profile.employers:
        out.extend(e.lines)
    out.extend(profile.requirements)
    out.extend(profile.sections.get("summary", []))
    skills = [s["name"] for s in profile.skills]
    for i in range(0, len(skills), 4):
        out.append(", ".join(skills[i:i + 4]))
    out = [s[:SNIPPET_CHARS] for s in dict.fromkeys(x.strip() for x in out) if len(s) >= 3]
    return out[:MAX_SNIPPETS]


def _skill_hits(q: Question, skills: Iterable[str]) -> list[str]:
    res = lexicon()["_skill_res"]
    blob = " ".join([*q.text_by_lang.values(), *(k for v in q.key_points_by_lang.values() for k in v)])
    return [s for s in skills if s in res and res[s].search(blob)]


_STOP = frozenset("with that this from your have were what when which would into about their there they them then "
                  "than been more most over also such only very each other".split())


def _terms(text: str) -> set[str]:
    """Content terms: Latin words of 4+ characters, and Hangul character bigrams."""
    text = text.lower()
    out = {w for w in re.findall(r"[a-z][a-z0-9+#.]{3,}", text) if w not in _STOP}
    for w in re.findall(r"[가-힣]{2,}", text):
        out.update(w[i:i + 2] for i in range(len(w) - 1))
    return out


def _term_overlap(profile: Profile, pool: list[Question]) -> np.ndarray:
    """Per question: IDF-weighted overlap of the résumé's terms with its texts and key points (both
    languages), scaled so the best question gets 1."""
    q_terms = [_terms(" ".join([*q.text_by_lang.values(), *(k for v in q.key_points_by_lang.values() for k in v)]))
               for q in pool]
    df: dict[str, int] = {}
    for t in q_terms:
        for w in t:
            df[w] = df.get(w, 0) + 1
    mine = _terms(" ".join(x for lines in profile.sections.values() for x in lines))
    n = len(pool)
    raw = np.array([sum(math.log(n / df[w]) for w in t & mine) for t in q_terms], dtype=np.float32)
    return raw / max(float(raw.max()), 1e-9) if len(raw) else raw


def rank_bank(profile: Profile, lang: str, bank: QuestionBank | None = None, k: int = BANK_K,
              progress: Progress | None = None) -> list[tuple[Question, float, list[str]]]:
    """The ``k`` bank questions most relevant to the résumé: ``[(question, relevance, matched skills)]``,
    best first (see the module docstring). Without an encoder, skills alone rank them."""
    from scoring.embeddings import get_encoder

    bank = bank or default_bank()
    pool = [q for q in bank if q.category != "company"]
    skills = [s["name"] for s in profile.skills]
    hits = [_skill_hits(q, skills) for q in pool]
    lexical = np.array([SKILL_WEIGHT * min(3, len(h)) for h in hits], dtype=np.float32) + TERM_WEIGHT * _term_overlap(profile, pool)
    semantic = np.zeros(len(pool), dtype=np.float32)
    enc = get_encoder("ko")                   # multilingual-e5-small serves both languages
    snips = snippets(profile)
    if enc is not None and snips:
        from personas.knowledge.vectors import vectors_for

        qv = vectors_for(enc, [q.text(lang) for q in pool], role="query")
        sv = []
        for i in range(0, len(snips), 4):
            sv.append(enc.encode(snips[i:i + 4], "query"))
            if progress:
                progress(min(len(snips), i + 4) * 100 // len(snips))
        sims = qv @ np.vstack(sv).T                       # (questions, snippets)
        top = np.sort(sims, axis=1)[:, -3:]
        semantic = top.mean(axis=1)
    total = semantic + lexical
    order = np.argsort(-total, kind="stable")
    out, per_cat = [], {}
    for i in order:
        q = pool[int(i)]
        if per_cat.get(q.category, 0) >= 4:
            continue
        per_cat[q.category] = per_cat.get(q.category, 0) + 1
        out.append((q, round(float(total[i]), 4), hits[int(i)]))
        if len(out) >= k:
            break
    return out


def bank_entry(q: Question, relevance: float, matched: list[str]) -> dict:
    """A bank question as a member of a tailored set (same id: the bank's scorer data applies)."""
    return {"id": q.id, "category": q.category, "topic": q.topic, "company": q.company, "difficulty": q.difficulty,
            "text": dict(q.text_by_lang), "key_points": dict(q.key_points_by_lang),
            "red_flags": dict(q.red_flags_by_lang), "origin": "bank", "relevance": relevance,
            "source": {"kind": "bank", "ref": q.topic, "evidence": matched}}


def interleave(own: list[dict], bank: list[dict]) -> list[dict]:
    """Two own questions, then one bank question, and so on (what a résumé room asks in order)."""
    out, b = [], list(bank)
    for i, q in enumerate(own):
        out.append(q)
        if i % 2 == 1 and b:
            out.append(b.pop(0))
    return out + b


def generate(profile: Profile, id_prefix: str, progress: Progress | None = None,
             bank: QuestionBank | None = None) -> list[dict]:
    """The offline tailored set (own questions interleaved with ranked bank questions); ``progress`` gets
    0-100 as it goes. Blocking (embeddings): run it in a thread."""
    own = own_questions(profile, id_prefix)
    if progress:
        progress(20)
    ranked = rank_bank(profile, profile.language, bank,
                       progress=(lambda p: progress(20 + p * 7 // 10)) if progress else None)
    if progress:
        progress(95)
    return interleave(own, [bank_entry(q, r, m) for q, r, m in ranked])


def to_question(d: dict) -> Question:
    """A stored set member -> a ``rooms.questions.Question`` (for a room and its scorer)."""
    return Question(id=d["id"], category=d["category"], topic=d.get("topic", ""), difficulty=int(d["difficulty"]),
                    text_by_lang=dict(d["text"]), key_points_by_lang={k: list(v) for k, v in d["key_points"].items()},
                    company=d.get("company"),
                    red_flags_by_lang={k: list(v) for k, v in (d.get("red_flags") or {}).items()})


def public(d: dict, lang: str) -> dict:
    """A set member as the API shows it, in ``lang`` (``text_by_lang`` keeps both)."""
    def pick(field: str):
        v = d.get(field) or {}
        return v.get(lang) or v.get("en") or []

    return {"question_id": d["id"], "text": pick("text"), "category": d["category"], "topic": d.get("topic"),
            "difficulty": d["difficulty"], "key_points": pick("key_points"), "red_flags": pick("red_flags"),
            "source": d.get("source"), "origin": d.get("origin"), "relevance": d.get("relevance"),
            "text_by_lang": d.get("text")}

