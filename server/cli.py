"""The ``arena`` command line.

    arena serve [--host H] [--port P] [--workers N]  run the game server (+ N job workers, default 1)
    arena worker [--concurrency N]           run a job worker (scoring, personas, judge, match storage)
    arena demo [--url U] [--bots N] ...      play a scripted match with bots, live leaderboard
    arena persona-answer --persona ID --question TEXT [--lang ko|en] [--skill 1-5] [--seed N]
    arena score --question TEXT --answer TEXT [--category C] [--lang ko|en]
    arena score --batch FILE.jsonl
    arena transcribe FILE.wav [--language ko] JSON {text, words, wpm, pauses}
    arena expression IMAGE                   JSON {faces: [{box, emotions}]}
    arena media [--redis-url U] [--id ID]    run a media sidecar (several: one id each)
    arena protocol-docs                      print docs/protocol.md from the pydantic models
"""

from __future__ import annotations

import argparse
import json
import sys


def _print(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def cmd_serve(a: argparse.Namespace) -> int:
    from .app import serve
    from .config import Config
    from .embedded import DataDirBusy

    try:
        cfg = Config.from_env(host=a.host, port=a.port)
        if a.workers is not None:
            cfg.workers = a.workers
        serve(cfg)
    except DataDirBusy as e:              # another arena serve owns the embedded services' data dir
        _print({"error": {"code": "data_dir_busy", "message": str(e)}})
        return 2
    return 0


def cmd_worker(a: argparse.Namespace) -> int:
    from .worker import run_worker

    return run_worker(concurrency=a.concurrency, threads=a.threads, parent_pid=a.parent_pid)


def cmd_demo(a: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(a.url, bots=a.bots, personas=a.personas.split(",") if a.personas else [],
                    questions=a.questions, lang=a.lang, answer_seconds=a.answer_seconds, mode=a.mode)


def cmd_persona_answer(a: argparse.Namespace) -> int:
    """One persona's answer as JSON; a bank question's exact text is answered as in a room
    (its id and category), any other text as an ad-hoc question (category inferred unless given)."""
    from personas.engine import AnswerRequest, compose_answer

    q = _bank_question(a.question)
    try:
        ans = compose_answer(AnswerRequest(persona_id=a.persona, question_text=a.question.strip(), lang=a.lang,
                                           skill=a.skill, seed=a.seed, category=a.category or (q and q.category),
                                           question_id=q.id if q else None))
    except KeyError:
        from personas.catalog import persona_ids
        _print({"error": {"code": "unknown_persona", "message": f"unknown persona {a.persona!r}; known: {persona_ids()}"}})
        return 2
    except ValueError as e:
        _print({"error": {"code": "bad_request", "message": str(e)}})
        return 2
    _print({"text": ans.text, "persona": a.persona, "question_id": q.id if q else None, "story_id": ans.story_id,
            "note_ids": list(ans.note_ids), "think_ms": ans.think_ms, "words_per_minute": ans.words_per_minute})
    return 0


def _bank_question(text: str):
    """The bank question whose ko or en text is exactly ``text`` (surrounding space ignored), else None."""
    from rooms.questions import default_bank

    t = text.strip()
    for q in default_bank():
        if q.text("ko").strip() == t or q.text("en").strip() == t:
            return q
    return None


def _adhoc_question(text: str, category: str | None, lang: str):
    """The bank question with this exact text if any, else an ad-hoc one without key points."""
    from rooms.questions import Question

    q = _bank_question(text)
    if q is not None:
        return q
    t = text.strip()
    return Question(id="adhoc", category=category or "behavioural", topic="", difficulty=2,
                    text_by_lang={lang: t, "en": t}, key_points_by_lang={lang: [], "en": []})


def score_one(scorer, question: str, answer: str, category: str | None, lang: str) -> dict:
    """Score one answer: ``{"score": 0-100, "dimensions": {...}, "feedback": str}``."""
    from rooms.scoring import AnswerToScore

    q = _adhoc_question(question, category, lang)
    if category and q.id == "adhoc":
        q = type(q)(**{**q.__dict__, "category": category})
    res = scorer.score_answers(q, [AnswerToScore("a", "cli", answer)], lang)["a"]
    return res.to_dict()


def cmd_score(a: argparse.Namespace) -> int:
    from scoring.factory import default_scorer
    from rooms.settings import CATEGORIES

    scorer = default_scorer()
    if hasattr(scorer, "warm_up"):
        scorer.warm_up()                  # models load once, before the first line
    if a.batch:
        src = sys.stdin if a.batch == "-" else open(a.batch, encoding="utf-8")
        rc = 0
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                lang = row.get("lang") or "ko"
                cat = row.get("category")
                if cat is not None and cat not in CATEGORIES:
                    raise ValueError(f"unknown category {cat!r}")
                _print(score_one(scorer, str(row["question"]), str(row["answer"]), cat, lang))
            except (ValueError, KeyError, TypeError) as e:
                _print({"error": {"code": "bad_request", "message": f"line {n}: {e}"}})
                rc = 2
        return rc
    if a.question is None or a.answer is None:
        _print({"error": {"code": "bad_request", "message": "give --question and --answer, or --batch FILE"}})
        return 2
    _print(score_one(scorer, a.question, a.answer, a.category, a.lang))
    return 0


def cmd_transcribe(a: argparse.Namespace) -> int:
    from .media.audio import MediaError
    from .media.cli import transcribe_command

    try:
        _print(transcribe_command(a.file, a.language))
    except (MediaError, OSError, ValueError) as e:
        _print({"error": {"code": getattr(e, "code", "bad_audio"), "message": str(e)}})
        return 2
    return 0


def cmd_expression(a: argparse.Namespace) -> int:
    from .media.cli import expression_command

    try:
        _print(expression_command(a.image))
    except (OSError, ValueError) as e:
        _print({"error": {"code": getattr(e, "code", "bad_image"), "message": str(e)}})
        return 2
    return 0


def cmd_media(a: argparse.Namespace) -> int:
    import os

    from .media.cli import media_command

    return media_command(a.redis_url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
                         a.id, a.channel) or 0


def cmd_protocol_docs(a: argparse.Namespace) -> int:
    from .protocol_docs import render

    sys.stdout.write(render())
    return 0


def build_parser() -> argparse.ArgumentParser:
    from rooms.settings import CATEGORIES

    p = argparse.ArgumentParser(prog="arena", description="Interview Arena: many-to-many mock interviews")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the game server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--workers", type=int, default=None,
                   help="arena worker children to start (default: ARENA_WORKERS, else 1; 0: jobs run inline)")
    s.set_defaults(fn=cmd_serve)
    w = sub.add_parser("worker", help="run a job worker (REDIS_URL, DATABASE_URL, ARENA_KEY_PREFIX as for serve)")
    w.add_argument("--concurrency", type=int, default=8, help="jobs at once")
    w.add_argument("--threads", type=int, default=2, help="threads for CPU work (scoring, persona engine)")
    w.add_argument("--parent-pid", type=int, default=None, help="exit when this process is no longer the parent")
    w.set_defaults(fn=cmd_worker)
    d = sub.add_parser("demo", help="play a scripted match with bot players against a running server")
    d.add_argument("--url", default="http://127.0.0.1:8080")
    d.add_argument("--bots", type=int, default=2, help="bot players (humans), 1-8")
    d.add_argument("--personas", default="naver,kakao,toss", help="comma-separated persona ids")
    d.add_argument("--questions", type=int, default=3)
    d.add_argument("--lang", choices=("ko", "en"), default="ko")
    d.add_argument("--answer-seconds", type=int, default=20)
    d.add_argument("--mode", choices=("round_robin", "simultaneous"), default="round_robin")
    d.set_defaults(fn=cmd_demo)
    pa = sub.add_parser("persona-answer", help="print one persona's answer as JSON")
    pa.add_argument("--persona", required=True)
    pa.add_argument("--question", required=True)
    pa.add_argument("--lang", choices=("ko", "en"), default="ko")
    pa.add_argument("--skill", type=int, choices=range(1, 6), default=3)
    pa.add_argument("--seed", type=int, default=0)
    pa.add_argument("--category", choices=CATEGORIES, default=None)
    pa.set_defaults(fn=cmd_persona_answer)
    sc = sub.add_parser("score", help="score an answer (JSON), or a JSONL batch")
    sc.add_argument("--question")
    sc.add_argument("--answer")
    sc.add_argument("--category", choices=CATEGORIES, default=None)
    sc.add_argument("--lang", choices=("ko", "en"), default="ko")
    sc.add_argument("--batch", help='JSONL file (or "-"): {"question","answer","category"?,"lang"?} per line')
    sc.set_defaults(fn=cmd_score)
    tr = sub.add_parser("transcribe", help="speech to text of a WAV file, JSON {text, words, wpm, pauses}")
    tr.add_argument("file")
    tr.add_argument("--language", choices=("en", "ko"), default=None,
                    help="en: tiny.en (default); ko: the Korean rooms' multilingual model")
    tr.set_defaults(fn=cmd_transcribe)
    ex = sub.add_parser("expression", help="faces and emotions in an image, JSON {faces: [{box, emotions}]}")
    ex.add_argument("image")
    ex.set_defaults(fn=cmd_expression)
    md = sub.add_parser("media", help="run the media sidecar (WebRTC/audio -> transcripts, delivery, expression)")
    md.add_argument("--redis-url", default=None)
    md.add_argument("--id", default=None, help="this sidecar's id in the registry (default $ARENA_MEDIA_ID, else random)")
    md.add_argument("--channel", default=None, help="the pool's in channel (default $ARENA_MEDIA_IN_CHANNEL or media:in)")
    md.set_defaults(fn=cmd_media)
    pd = sub.add_parser("protocol-docs", help="print the protocol reference (Markdown)")
    pd.set_defaults(fn=cmd_protocol_docs)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
