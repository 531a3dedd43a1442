"""Delivery per room language: Korean pace in syllables per second, fillers, nudges in the room's
language, and the Korean pace in the score. Real espeak-ng speech where audio is needed."""

from __future__ import annotations

from media_helpers import need_modules

from server.media import prosody
from server.media.audio import load_audio_16k


def test_fillers_are_found_in_both_languages():
    assert prosody.fillers("Um, I think, uh, we should, like, start with the tests.", "en") == ["um", "uh", "like"]
    assert prosody.fillers("I like tests and would like more.", "en") == []       # "like" as a verb
    assert prosody.fillers("음, 어 그 저는 약간 으음 긴장했습니다.", "ko") == ["음", "어", "그", "약간", "으음"]  # 저는: "I"
    assert prosody.fillers("그래서 저는 캐시를 추가했습니다.", "ko") == []       # no filler in longer words


def test_korean_pace_is_syllables_per_second_with_korean_nudges(ko_speech):
    """A Korean final's delivery has syllables per second over the speaking span (the unit of
    Korean speech-rate studies), a word count without word timings, and nudges in Korean."""
    need_modules("librosa")
    text = "안녕하세요. 감사합니다."
    d = prosody.analyse(load_audio_16k(ko_speech[0]), [], text=text, language="ko")
    assert d["language"] == "ko" and d["syllables"] == 10 and d["word_count"] == 2 and d["wpm"] is None
    assert 2.0 < d["syllables_per_s"] < 9.0, d          # espeak-ng ko at 170 wpm
    fast = {"syllables_per_s": 7.2, "syllables": 40, "speech_s": 6.0, "volume_dbfs": -20.0, "pauses": [],
            "language": "ko"}
    (n,) = prosody.nudges(fast)
    assert n["kind"] == "pace" and "천천히" in n["message"] and "음절" in n["message"]
    slow = dict(fast, syllables_per_s=2.8)
    assert "빠르게" in prosody.nudges(slow)[0]["message"]
    assert not prosody.nudges(dict(fast, syllables_per_s=4.6))          # inside 3.5-5.5
    assert "syllables per second" in prosody.nudges(fast, language="en")[0]["message"]


def test_english_nudges_stay_english_and_korean_rooms_get_korean_text():
    d = {"wpm": 200.0, "word_count": 30, "speech_s": 9.0, "volume_dbfs": -50.0, "pauses": [{"duration": 2.5}]}
    en = {n["kind"]: n["message"] for n in prosody.nudges(d)}
    ko = {n["kind"]: n["message"] for n in prosody.nudges(d, language="ko")}
    assert set(en) == set(ko) == {"pace", "volume", "pause"}
    assert en["pace"].startswith("Slow down") and "words per minute" in en["pace"]
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in m) for m in ko.values()), ko
    assert "초" in prosody.pause_nudge(2.4, "ko")["message"]


def test_many_fillers_give_one_nudge_in_the_room_language():
    words = ["음", "어", "음", "그"]
    n = prosody.filler_nudge(words, 20.0, "ko")
    assert n["kind"] == "fillers" and "군말" in n["message"] and "4" in n["message"]
    assert prosody.filler_nudge(words, 60.0, "ko") is None              # 4 per minute: fine
    assert prosody.filler_nudge(["um", "uh"], 5.0, "en") is None        # fewer than 3
    assert "Fewer fillers" in prosody.filler_nudge(["um", "uh", "um"], 10.0, "en")["message"]


def test_korean_pace_is_scored_in_syllables_per_second():
    from scoring.delivery import delivery_dimensions, pace_score_sps

    assert pace_score_sps(4.5) == 100 and pace_score_sps(3.0) == 70 and pace_score_sps(6.0) == 70
    spoken = {"syllables_per_s": 4.4, "wpm": None, "word_count": 12, "speech_s": 8.0, "duration_s": 9.0,
              "long_pauses": [], "pause_ratio": 0.1}
    assert delivery_dimensions(spoken)["pace"] == 100
    # the English band (120-170 wpm) is not applied to a Korean answer's words
    assert delivery_dimensions(dict(spoken, wpm=60.0))["pace"] == 100
