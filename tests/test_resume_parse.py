"""The offline résumé parser (resumes/parse.py) and the content type check (resumes/extract.py)."""

from __future__ import annotations

import pytest

from resumes.extract import UploadError, extract, sniff
from resumes.parse import language_of, numbers_in, parse, skills_in
from tests.resume_helpers import make_docx, make_pdf, resume_text


def test_english_resume_sections_skills_projects_employers_numbers():
    p = parse(resume_text("en"))
    assert p.language == "en" and p.kind == "resume"
    assert {"header", "summary", "experience", "projects", "skills", "education"} <= set(p.sections)
    assert [(e.name, e.role) for e in p.employers] == [("Acme Pay Inc.", "Senior Backend Engineer"),
                                                       ("Globex Corp", "Software Engineer")]
    assert "2020.03" in p.employers[0].period
    assert [e.name for e in p.projects] == ["Ledgerline", "Searchlight"]
    assert p.projects[0].skills == ["Python", "PostgreSQL", "Redis"]
    assert any("92%" in c for c in p.projects[0].claims)
    names = [s["name"] for s in p.skills]
    assert {"PostgreSQL", "Redis", "Kafka", "Kubernetes", "Go"} <= set(names)
    assert ("85", "%") in [(n["value"], n["unit"]) for n in p.numbers]


def test_korean_resume_sections_skills_projects_employers_numbers():
    p = parse(resume_text("ko"))
    assert p.language == "ko" and p.kind == "resume"
    assert {"summary", "experience", "projects", "skills", "education"} <= set(p.sections)
    assert [(e.name, e.role) for e in p.employers] == [("카카오페이", "백엔드 개발자"), ("한빛소프트", "서버 개발자")]
    assert [e.name for e in p.projects] == ["정산 자동화 플랫폼", "추천 피드 개선"]
    assert "Kubernetes" in [s["name"] for s in p.skills]                  # "쿠버네티스" through the lexicon
    assert ("18", "%") in [(n["value"], n["unit"]) for n in p.numbers]
    assert ("30", "만") in [(n["value"], n["unit"]) for n in p.numbers]


def test_inline_headings_postings_and_small_pieces():
    p = parse("## Skills: Python, Kafka\nRequirements\n- 5 years of Go (golang)\n자격 요건\n- Kafka 운영 경험")
    assert p.sections["skills"] == ["Python, Kafka"] and p.kind == "posting"
    assert p.requirements == ["5 years of Go (golang)", "Kafka 운영 경험"]
    assert skills_in("we use k8s and c++ but not JavaScriptX") == ["C++", "Kubernetes"]
    assert numbers_in("Since 2019-03, cut latency 40% and served 3 million users") == [("40", "%"), ("3", "million")]
    assert language_of("백엔드 개발자 with Kotlin") == "ko" and language_of("Backend engineer") == "en"


def test_content_decides_the_type_not_the_name():
    text = resume_text("en")
    assert extract(make_pdf(text), "a.pdf").kind == "pdf"
    assert "Ledgerline" in extract(make_pdf(text), "a.pdf").text
    assert extract(make_docx(resume_text("ko")), "이력서.docx").kind == "docx"
    assert extract(text.encode("utf-16"), "cv.txt").kind == "text"
    assert sniff(b"\x89PNG\r\n\x1a\n" + bytes(100)) is None
    for data, name, code in ((make_docx(text), "a.pdf", "type_mismatch"), (text.encode(), "a.docx", "type_mismatch"),
                             (b"\x89PNG\r\n\x1a\n" + bytes(100), "a.png", "unsupported_type")):
        with pytest.raises(UploadError) as e:
            extract(data, name)
        assert e.value.code == code and e.value.status == 415


def test_korean_questions_use_the_particle_the_word_takes():
    from resumes.generate import generate, korean_particles
    from resumes.parse import parse
    from tests.resume_helpers import resume_text

    assert korean_particles('"1분으로 단축"(이)라고') == '"1분으로 단축"이라고'
    assert korean_particles('"처리"(이)라고') == '"처리"라고'
    assert korean_particles("Redis을(를) … Redis(으)로") == "Redis를 … Redis로"
    assert korean_particles("PostgreSQL을(를) … 정산(으)로 … 파일(으)로") == "PostgreSQL을 … 정산으로 … 파일로"
    for lang in ("ko", "en"):
        for q in generate(parse(resume_text(lang)), "rq-t"):
            for text in [q["text"]["ko"], *q["key_points"]["ko"], *q["red_flags"]["ko"]]:
                assert not any(alt in text for alt in ("을(를)", "은(는)", "이(가)", "(으)로", "(이)라고")), text
