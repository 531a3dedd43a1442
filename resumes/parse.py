"""Résumé / job-posting text -> a profile, offline, in Korean and English.

The lexicon (section headings, skills and their aliases, organisation markers, number units) is data:
``resumes/data/lexicon.json``. The parser is line based, as résumés are:

* **sections**: a short line that is a known heading ("Projects", "경력 사항", "## Skills:") starts a
  section; "Skills: Python, Go" is a heading with its content inline. Lines before any heading are
  ``header`` (name, contacts).
* **entries**: inside experience and projects, a line that is not a bullet (``-``, ``•``, ``*``, ``·``,
  ``1.``) starts an entry; the bullets under it are its lines. An entry header of the experience
  section gives an **employer** (first segment) and a **role** (second), and a **period** (dates).
  In the projects section it gives a **project** (its name, without dates or the technology list).
* **skills**: every lexicon skill whose alias occurs (whole words for Latin aliases), with a count.
* **numbers**: quantified claims, i.e. lines with a number and a unit ("cut p99 from 800 ms to 120 ms",
  "사용자 30만 명"), years and dates excluded.
* **kind**: "posting" when it has posting sections (requirements, responsibilities, 자격 요건, 우대
  사항) and no projects or education; else "resume". **language**: "ko" when at least a quarter of the
  letters are Hangul.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

LEXICON = Path(__file__).parent / "data" / "lexicon.json"
BULLET = re.compile(r"^\s*(?:[-•*·▪◦–○●✓►▶■□]|\d{1,2}[.)])\s+")
DATE = re.compile(r"(?:(?:19|20)\d{2}(?:\s*[./-]\s*\d{1,2})?(?:\s*[./-]\s*\d{1,2})?\s*(?:년|월)?\s*(?:\d{1,2}\s*월)?)"
                  r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d{2}"
                  r"|present|current|now|현재|재직\s*중", re.I)
SEPARATORS = re.compile(r"\s+[—–|·]\s+|\s+-\s+|\s*\|\s*|\s*,\s*|\s*\(\s*|\s*\)\s*|\s*/\s+|\s+@\s+|\s+at\s+")
MAX_ITEMS = 12


@dataclass
class Entry:
    """An experience or project entry: ``name`` (employer or project), ``role``, ``period``, its ``lines``
    (bullets), the ``skills`` named in it and its quantified ``claims``."""

    name: str
    role: str = ""
    period: str = ""
    header: str = ""
    lines: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)


@dataclass
class Profile:
    """What the parser found. ``sections``: canonical name -> lines; ``skills``: ``[{name, count}]`` most
    named first; ``numbers``: ``[{text, value, unit, section}]``; ``requirements``: posting lines."""

    language: str
    kind: str
    sections: dict[str, list[str]]
    skills: list[dict]
    projects: list[Entry]
    employers: list[Entry]
    numbers: list[dict]
    requirements: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=1)
def lexicon() -> dict:
    """The lexicon data (see ``resumes/data/lexicon.json``), with compiled skill patterns under ``_skill_res``."""
    lex = json.loads(LEXICON.read_text(encoding="utf-8"))
    lex["_headings"] = {_norm_heading(w): sec for sec, words in lex["sections"].items() for w in words}
    res = {}
    for name, aliases in lex["skills"].items():
        parts = []
        for a in aliases:
            if re.search(r"[가-힣]", a):
                parts.append(re.escape(a))
            else:
                body = a if "\\" in a else re.escape(a)
                parts.append(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9+#])")
        res[name] = re.compile("|".join(parts), re.I)
    lex["_skill_res"] = res
    units = sorted(lex["number_units"], key=len, reverse=True)
    unit_alt = "|".join(re.escape(u) for u in units)
    lex["_number_re"] = re.compile(rf"(\d[\d,]*(?:\.\d+)?)\s*({unit_alt})(?![A-Za-z])", re.I)
    return lex


def _norm_heading(s: str) -> str:
    s = re.sub(r"^[\s#*=\-■▶►□\[\]【】<>0-9.)]+", "", s.strip().lower())
    return re.sub(r"[\s:：\]】>=*#\-]+$", "", s).strip()


def language_of(text: str) -> str:
    """"ko" when at least 25% of the letters are Hangul, else "en"."""
    hangul = len(re.findall(r"[가-힣]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "ko" if hangul and hangul / max(1, hangul + latin / 3) >= 0.25 else "en"


def _heading(line: str) -> tuple[str, str] | None:
    """``(section, inline content)`` when ``line`` is a heading, else None."""
    if len(line) > 60 or BULLET.match(line):
        return None
    heads = lexicon()["_headings"]
    key = _norm_heading(line)
    if key in heads:
        return heads[key], ""
    m = re.match(r"^\s*([^:：]{2,30})\s*[:：]\s*(.+)$", line)
    if m and _norm_heading(m.group(1)) in heads:
        return heads[_norm_heading(m.group(1))], m.group(2).strip()
    return None


def skills_in(text: str) -> list[str]:
    """Lexicon skills named in ``text``, in lexicon order."""
    return [name for name, rx in lexicon()["_skill_res"].items() if rx.search(text)]


def numbers_in(line: str) -> list[tuple[str, str]]:
    """``[(value, unit)]`` quantities in ``line`` (years and dates excluded)."""
    out = []
    for m in lexicon()["_number_re"].finditer(DATE.sub(" ", line)):
        value, unit = m.group(1), m.group(2)
        if unit.lower() in ("s", "m", "k", "x") and not re.fullmatch(r"[\d,.]+", value):
            continue
        out.append((value, unit))
    return out


def _strip_bullet(line: str) -> str:
    return BULLET.sub("", line).strip()


def _entry_header(line: str) -> tuple[str, str, str]:
    """``(name, role, period)`` of an entry header line."""
    for marker in lexicon()["employer_markers"]:       # "(주)한빛소프트" -> "한빛소프트"
        if not re.search(r"[A-Za-z]", marker):
            line = line.replace(marker, " ")
    period = " ".join(m.group(0).strip() for m in DATE.finditer(line)).strip()
    body = DATE.sub(" ", line)
    body = re.sub(r"\s*[~–—-]\s*(?=$|[)\]|,])", " ", body)
    segs = [s.strip(" -–—~:·|()[]") for s in SEPARATORS.split(body)]
    segs = [s for s in segs if s and not re.fullmatch(r"[\W\d_]+", s)]
    name = segs[0] if segs else line.strip()
    role = segs[1] if len(segs) > 1 else ""
    return name[:80], role[:80], period[:40]


def _entries(lines: list[str], project: bool) -> list[Entry]:
    entries: list[Entry] = []
    all_bullets = all(BULLET.match(x) for x in lines)
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if BULLET.match(line) and not (all_bullets and project):
            if entries:
                entries[-1].lines.append(_strip_bullet(line))
            continue
        text = _strip_bullet(line)
        if project and (":" in text or "：" in text) and all_bullets:
            head, rest = re.split(r"[:：]", text, maxsplit=1)
            name, role, period = _entry_header(head)
            entries.append(Entry(name, role, period, header=head, lines=[rest.strip()]))
        else:
            name, role, period = _entry_header(text)
            if not project and entries and not entries[-1].lines and not role:
                entries[-1].role = name           # "Company\nRole, 2019-2022": the second line is the role
                entries[-1].period = entries[-1].period or period
                entries[-1].header += " " + text
                continue
            entries.append(Entry(name, role, period, header=text))
    for e in entries:
        blob = " ".join([e.header, *e.lines])
        e.skills = skills_in(blob)
        e.claims = [x for x in e.lines if numbers_in(x)]
        if project and e.role and skills_in(e.role) and not skills_in(e.name):
            e.role = ""                           # "Project — Python, Redis": the tech list is not a role
    return entries[:MAX_ITEMS]


def parse(text: str) -> Profile:
    """Parse a résumé or job posting's text (see the module docstring). Never raises."""
    lex = lexicon()
    sections: dict[str, list[str]] = {"header": []}
    current = "header"
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        h = _heading(line)
        if h is not None:
            current = h[0]
            sections.setdefault(current, [])
            if h[1]:
                sections[current].append(h[1])
            continue
        sections.setdefault(current, []).append(line)
    counts = {name: len(rx.findall(text)) for name, rx in lex["_skill_res"].items()}
    skills = sorted(({"name": n, "count": c} for n, c in counts.items() if c), key=lambda s: -s["count"])
    projects = _entries(sections.get("projects", []), project=True)
    employers = _entries(sections.get("experience", []), project=False)
    numbers = []
    for sec, lines in sections.items():
        if sec in ("header", "education", "certifications"):
            continue
        for line in lines:
            for value, unit in numbers_in(line):
                numbers.append({"text": _strip_bullet(line)[:200], "value": value, "unit": unit, "section": sec})
    posting = [s for s in lex["posting_sections"] if sections.get(s)]
    kind = "posting" if posting and not sections.get("projects") and not sections.get("education") else "resume"
    requirements = [_strip_bullet(x) for s in ("requirements", "preferred", "responsibilities")
                    for x in sections.get(s, [])][:MAX_ITEMS]
    return Profile(language=language_of(text), kind=kind, sections=sections, skills=skills[:30],
                   projects=projects, employers=employers, numbers=numbers[:30], requirements=requirements)
