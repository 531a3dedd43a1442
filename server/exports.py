"""Report exports: JSON, CSV (one row per answer) and a print-ready A4 PDF (fpdf2).

The PDF is set in a TrueType font that has Hangul: NanumGothic from the Debian package
``fonts-nanum`` (``make system-deps`` installs it), else ``ARENA_PDF_FONT``, else Noto Sans CJK
or Unfonts if present. Without any, :func:`to_pdf` raises :class:`FontMissing`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from pathlib import Path

#: Font files tried in order (after ``ARENA_PDF_FONT``).
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
)
BOLD_OF = {"NanumGothic.ttf": "NanumGothicBold.ttf"}

CSV_COLUMNS = ["question_index", "question_id", "category", "question", "participant_id", "display_name", "kind",
               "follow_up", "score", "relevance", "structure", "specificity", "depth", "communication",
               "feedback", "answer"]

LABELS = {
    "ko": {"report": "면접 리포트", "ranking": "최종 순위", "rank": "순위", "name": "참가자", "score": "점수",
           "question": "질문", "answer": "답변", "feedback": "피드백", "missed": "놓친 핵심 포인트",
           "model": "모범 답변", "none": "답변 없음", "for": "대상", "finished": "종료", "notes": "내 메모",
           "follow_up": "꼬리 질문"},
    "en": {"report": "Interview report", "ranking": "Final ranking", "rank": "Rank", "name": "Participant",
           "score": "Score", "question": "Question", "answer": "Answer", "feedback": "Feedback",
           "missed": "Key points missed", "model": "Model answer", "none": "No answer", "for": "For",
           "finished": "Finished", "notes": "My notes", "follow_up": "Follow-up"},
}


# fpdf2 subsets the font with fontTools, which warns about every hinting table it drops.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class FontMissing(RuntimeError):
    """No font with Hangul was found for the PDF (install ``fonts-nanum`` or set ``ARENA_PDF_FONT``)."""


def to_json(report: dict, replay: dict | None = None) -> bytes:
    """``{"report": …, "replay": …}`` as UTF-8 JSON (indented)."""
    return json.dumps({"report": report, "replay": replay}, ensure_ascii=False, indent=2).encode("utf-8")


def to_csv(report: dict) -> bytes:
    """One row per answer (:data:`CSV_COLUMNS`), UTF-8 with a BOM so spreadsheet apps read Hangul."""
    names = {p["participant_id"]: p for p in report["participants"]}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for q in report["questions"]:
        for a in q["answers"]:
            p = names.get(a["participant_id"], {})
            d = a.get("dimensions") or {}
            w.writerow([q["index"], q["question_id"], q["category"], q["text"], a["participant_id"],
                        p.get("display_name", ""), p.get("kind", ""), "yes" if a.get("follow_up_of") else "",
                        a["score"], *(d.get(k, "") for k in CSV_COLUMNS[9:14]), a.get("feedback", ""),
                        a.get("text", "")])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def font_path() -> Path:
    """The PDF font file. Raises :class:`FontMissing`."""
    for cand in (os.environ.get("ARENA_PDF_FONT"), *FONT_CANDIDATES):
        if cand and Path(cand).is_file():
            return Path(cand)
    raise FontMissing("no font with Hangul found: install fonts-nanum (make system-deps) or set ARENA_PDF_FONT")


def to_pdf(report: dict, replay: dict | None = None, notes: list[dict] | None = None) -> bytes:
    """An A4 PDF: title, ranking, then per question the subject's answer, score, feedback, missed
    key points and a model answer (from ``replay``), and the viewer's own notes if given.

    Raises:
        FontMissing: see :func:`font_path`.
    """
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    lang = report.get("language") if report.get("language") in LABELS else "en"
    L = LABELS[lang]
    regular = font_path()
    bold = regular.with_name(BOLD_OF.get(regular.name, regular.name))
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("body", "", str(regular))
    pdf.add_font("body", "B", str(bold if bold.is_file() else regular))
    pdf.set_title(f"{L['report']}: {report['title']}")
    pdf.add_page()
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def text(s: str, size: float = 10.5, style: str = "", h: float = 5.6) -> None:
        pdf.set_font("body", style, size)
        pdf.multi_cell(0, h, s or "", **nl)

    text(L["report"], 9, h=5)
    text(report["title"], 17, "B", h=8)
    subject = (replay or {}).get("subject") or {}
    meta = f"{L['finished']}: {report['finished_at'][:16].replace('T', ' ')} UTC"
    if subject.get("display_name"):
        meta += f"  ·  {L['for']}: {subject['display_name']}"
    text(meta, 9.5, h=5.5)
    pdf.ln(3)
    text(L["ranking"], 12.5, "B", h=7)
    pdf.set_font("body", "", 10)
    with pdf.table(col_widths=(14, 120, 26), text_align=("CENTER", "LEFT", "RIGHT"), line_height=6.2) as t:
        t.row([L["rank"], L["name"], L["score"]])
        for e in report["ranking"]:
            t.row([str(e["rank"]), f"{e['display_name']} ({e['kind']})", str(e["score"])])
    pdf.ln(4)
    rq = {q["question_id"]: q for q in (replay or {}).get("questions", [])}
    for q in report["questions"]:
        text(f"{L['question']} {q['index']}. {q['text']}", 11.5, "B", h=6.4)
        r = rq.get(q["question_id"], {})
        a = r.get("answer")
        if replay is not None:
            if a:
                text(f"{L['answer']} ({L['score']} {a['score']}): {a['text'] or L['none']}")
                if a.get("feedback"):
                    text(f"{L['feedback']}: {a['feedback']}", 10)
            else:
                text(L["none"])
            fu = r.get("follow_up")
            if fu:
                text(f"{L['follow_up']}: {fu.get('follow_up_question') or ''}", 10, "B")
                text(f"{L['answer']} ({L['score']} {fu['score']}): {fu['text'] or L['none']}", 10)
            if r.get("missed"):
                text(f"{L['missed']}:", 10, "B")
                for k in r["missed"]:
                    text(f"  - {k}", 10)
            if r.get("model_answer"):
                text(f"{L['model']}: {r['model_answer']['text']}", 9.5)
        scores = ", ".join(f"{_name(report, x['participant_id'])} {x['score']}" for x in q["answers"]
                           if not x.get("follow_up_of"))
        if scores:
            text(f"{L['score']}: {scores}", 9, h=5)
        pdf.ln(3)
    if notes:
        text(L["notes"], 12.5, "B", h=7)
        for n in notes:
            text(f"- {n.get('text', '')}", 10)
    return bytes(pdf.output())


def _name(report: dict, pid: str) -> str:
    return next((p["display_name"] for p in report["participants"] if p["participant_id"] == pid), pid)
