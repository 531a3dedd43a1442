"""Swapped claims (scoring/contrasts.py): a fact said of the wrong member of a contrast.

Sentences written for these tests; no models needed (lexical only).
"""

from __future__ import annotations

import json

import pytest

from scoring import contrasts as X
from scoring.contrasts import DATA

TCP_Q = "Explain the difference between TCP and UDP, with examples of services that suit each."
PROC_Q = "Explain the difference between a process and a thread."
TCP_Q_KO = "TCP와 UDP의 차이를 설명해 주세요."
PROC_Q_KO = "프로세스와 스레드의 차이를 설명해 주세요."
NORM_Q_KO = "정규화와 반정규화는 각각 언제 쓰나요?"


def _said(sentence, question, lang):
    return {(f.about, e) for f, e in X.swaps(sentence, question, lang)}


@pytest.mark.parametrize("sentence,question,lang", [
    ("Honestly UDP is the dependable one, since it retransmits lost packets for you.", TCP_Q, "en"),
    ("With TCP there is no handshake, so TCP is the lightweight choice.", TCP_Q, "en"),
    ("Threads each get their own address space, so they are isolated from each other.", PROC_Q, "en"),
    ("Two processes of one program share memory, so processes need locks.", PROC_Q, "en"),
    ("UDP는 순서를 보장해 주기 때문에 송금에 씁니다.", TCP_Q_KO, "ko"),
    ("프로세스끼리는 메모리를 공유해서 통신이 쉽습니다.", PROC_Q_KO, "ko"),
    ("반정규화는 중복을 없애는 작업입니다.", NORM_Q_KO, "ko"),
])
def test_a_fact_said_of_the_wrong_member_is_a_swap(sentence, question, lang):
    assert X.swaps(sentence, question, lang), sentence


@pytest.mark.parametrize("sentence,question,lang", [
    ("TCP retransmits lost packets and guarantees ordering, while UDP is connectionless and faster.", TCP_Q, "en"),
    ("Unlike UDP, TCP guarantees ordering.", TCP_Q, "en"),
    ("UDP does not guarantee ordering.", TCP_Q, "en"),
    ("TCP is slower and UDP is faster.", TCP_Q, "en"),
    ("Many people think UDP guarantees ordering, but it does not.", TCP_Q, "en"),
    ("Threads live inside one process and share its heap, each with its own stack.", PROC_Q, "en"),
    ("Processes can talk through pipes or shared memory.", PROC_Q, "en"),
    ("UDP는 순서를 보장하지 않습니다.", TCP_Q_KO, "ko"),
    ("TCP는 연결 지향이라 순서를 보장하고, UDP는 비연결이라 빠르지만 유실될 수 있습니다.", TCP_Q_KO, "ko"),
    ("스레드는 프로세스 전환보다 가볍습니다.", PROC_Q_KO, "ko"),
    ("프로세스는 격리돼 있어서 데이터를 주고받으려면 공유 메모리 같은 IPC를 써야 합니다.", PROC_Q_KO, "ko"),
    ("정규화는 중복을 없애고, 반정규화는 조회를 빠르게 하려고 테이블을 합칩니다.", NORM_Q_KO, "ko"),
])
def test_a_correct_or_negated_or_refuted_statement_is_not(sentence, question, lang):
    assert not X.swaps(sentence, question, lang), [(f.text, e) for f, e in X.swaps(sentence, question, lang)]


def test_groups_are_active_only_when_the_question_names_two_members():
    assert X.active(TCP_Q, "en") and X.active(NORM_Q_KO, "ko")
    assert not X.active("How does TCP congestion control work?", "en")
    assert not X.swaps("UDP guarantees ordering.", "How does TCP congestion control work?", "en")
    # "반정규화" is one member, not also "정규화"
    [g] = [g for g in X.groups("ko") if "denorm" in g.aliases]
    assert [e for _, _, e in X.mentions("반정규화는", g.aliases, "ko")] == ["denorm"]


def test_every_fact_names_its_member_and_has_terms():
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    for g in raw["groups"]:
        for lang in ("en", "ko"):
            for item in g["facts"][lang]:
                about, text = item[0], item[1]
                assert about in g["entities"], item
                assert any(a.lower() in text.lower() for a in g["entities"][about][lang]), item
                assert X.fact_terms(text, {e: a[lang] for e, a in g["entities"].items()}, lang), item


@pytest.mark.parametrize("sentence,question,lang,wrong", [
    ("TCP does not guarantee ordering, so apps must reorder packets.", TCP_Q, "en", True),
    ("TCP is reliable and UDP is not reliable.", TCP_Q, "en", False),
    ("QUIC builds reliability on top of UDP to avoid TCP's handshake.", TCP_Q, "en", False),
    ("A semaphore with a count of one looks like a mutex but has no owner.", "How do a mutex and a semaphore differ?",
     "en", False),
    ("TCP는 순서를 보장하지 않습니다.", TCP_Q_KO, "ko", True),
])
def test_a_fact_denied_of_its_own_member_is_wrong(sentence, question, lang, wrong):
    assert bool(X.swaps(sentence, question, lang)) == wrong, [(f.text, e) for f, e in X.swaps(sentence, question, lang)]


def test_negation_after_the_fact_is_not_its_denial():
    assert not X.swaps("UDP is connectionless: no handshake, no retransmission.", TCP_Q, "en")
    assert X.swaps("UDP is not connectionless.", TCP_Q, "en")


@pytest.mark.parametrize("sentence,question,lang", [
    ("Threads in the same process share the heap, globals and open files.", PROC_Q, "en"),
    ("QUIC은 UDP 위에 신뢰성과 암호화를 직접 얹은 프로토콜이고, HTTP/3가 이걸로 TCP의 대기 문제를 피합니다", TCP_Q_KO, "ko"),
    ("영상 통화에서 늦게 온 프레임은 쓸모가 없으니, TCP처럼 재전송을 기다리느니 UDP로 그냥 버리는 게 낫습니다", TCP_Q_KO, "ko"),
    ("웹과 파일 전송은 TCP를 쓰고, 음성·영상 통화나 온라인 게임은 UDP를 많이 씁니다", TCP_Q_KO, "ko"),
])
def test_members_that_are_not_the_subject_are_not_what_a_fact_is_said_of(sentence, question, lang):
    assert not X.swaps(sentence, question, lang), [(f.text, e) for f, e in X.swaps(sentence, question, lang)]


def test_no_persona_answer_to_a_contrast_question_is_flagged():
    """The personas' answers come from their own knowledge notes, written apart from these facts: strong
    text we did not write for this check. None of their sentences may count as a swapped or denied fact."""
    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer
    from rooms.questions import default_bank
    from scoring import features as F

    checked = 0
    for q in default_bank():
        for lang in ("en", "ko"):
            ctx = " ".join([q.text(lang), *q.key_points(lang)])
            groups = X.active(ctx, lang)
            if not groups:
                continue
            for pid in persona_ids():
                ans = compose_answer(AnswerRequest(persona_id=pid, question_text=q.text(lang), lang=lang, skill=5,
                                                   seed=1, category=q.category, question_id=q.id))
                for s in F.split_sentences(ans.text):
                    checked += 1
                    assert not X.swaps(s, ctx, lang, groups), (q.id, pid, s)
    assert checked > 300
