"""Benchmark: résumé extraction, parsing and question generation (the generation job's work), offline.

    python -m benchmarks.resumes [--runs 7]

For the English and the Korean test résumés (tests/data/resumes): ``extract`` of a PDF (fpdf2, made
here) / DOCX, ``parse``, and ``generate`` (own questions + e5 ranking of the bank; the encoder is loaded
and warmed first, the snippet query cache is cleared before every run so each run embeds its snippets).
Prints medians (ms) over ``--runs``. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "resumes"


def _files(lang: str) -> tuple[str, bytes, str]:
    import io

    text = (DATA / f"{lang}_resume.txt").read_text(encoding="utf-8")
    if lang == "en":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for line in text.replace("—", "-").replace("–", "-").replace("·", "-").splitlines():
            pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT")
        return text, bytes(pdf.output()), "cv.pdf"
    import docx

    d = docx.Document()
    for line in text.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return text, buf.getvalue(), "cv.docx"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    from resumes.extract import extract
    from resumes.generate import generate
    from resumes.parse import parse
    from scoring.embeddings import get_encoder

    enc = get_encoder("ko")
    if enc is not None:
        enc.encode(["warm up"], "query")
    for lang in ("en", "ko"):
        _, data, name = _files(lang)
        times: dict[str, list[float]] = {"extract": [], "parse": [], "generate": []}
        n_q = 0
        for _ in range(args.runs):
            if enc is not None:
                enc._cache.d.clear()          # each run embeds its snippets, like a new résumé
            t0 = time.perf_counter()
            ex = extract(data, name)
            t1 = time.perf_counter()
            profile = parse(ex.text)
            t2 = time.perf_counter()
            qs = generate(profile, "rq-bench")
            t3 = time.perf_counter()
            n_q = len(qs)
            for k, v in (("extract", t1 - t0), ("parse", t2 - t1), ("generate", t3 - t2)):
                times[k].append(v * 1000)
        parts = ", ".join(f"{k} {statistics.median(v):.1f} ms" for k, v in times.items())
        print(f"résumé {lang} ({name}, {len(data)} bytes, {n_q} questions): median {parts} over {args.runs} runs")


if __name__ == "__main__":
    main()
