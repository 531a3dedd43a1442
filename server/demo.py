"""``arena demo``: bot players play a scripted match against a running server.

The first bot creates a room with the chosen personas, the others join by
code, everyone readies up, and the bots answer on their turns with scripted
answers of different quality. The terminal shows the live leaderboard, the
current question and whoever is speaking.
"""

from __future__ import annotations

import asyncio
import random

import aiohttp
import socketio
from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

SCRIPTS = {
    "ko": [
        "제가 주문 서비스 개발을 맡았을 때 피크 시간에 응답이 2초까지 느려지는 문제가 있었습니다. 제 역할은 원인을 찾고 해결하는 것이었습니다. "
        "먼저 APM으로 병목을 측정했고, 인덱스가 없는 조회 쿼리를 찾아 복합 인덱스를 추가했습니다. 쓰기 비용이 늘어나는 트레이드오프는 배치 처리로 보완했습니다. "
        "결과적으로 p99 응답 시간을 2초에서 300ms로 85% 줄였고, 이후 성능 테스트를 배포 파이프라인에 넣는 습관을 배웠습니다.",
        "팀 프로젝트에서 일정이 밀렸을 때 제가 우선순위를 다시 정리했습니다. 매일 15분씩 진행 상황을 점검했고 결국 마감을 맞췄습니다. 소통이 중요하다는 것을 배웠습니다.",
        "음, 그게 잘 기억이 안 나는데요, 그냥 열심히 했던 것 같습니다.",
    ],
    "en": [
        "When I owned our order service, peak-hour latency hit two seconds. My task was to find and fix the cause. "
        "I first measured the bottleneck with tracing, found a lookup without an index and added a composite index; the trade-off "
        "was higher write cost, which I offset with batched writes. As a result p99 dropped from 2 s to 300 ms, an 85% cut, and since "
        "then I put a performance test in every deployment pipeline.",
        "In a team project that slipped, I re-prioritised the backlog and ran a daily 15-minute check-in. We met the deadline. I learned communication matters.",
        "Um, I don't really remember, I guess I just worked hard.",
    ],
}


async def _guest(http: aiohttp.ClientSession, url: str, name: str) -> tuple[str, str]:
    async with http.post(f"{url}/api/v1/auth/guest", json={"display_name": name}) as r:
        r.raise_for_status()
        body = await r.json()
    return body["token"], body["user_id"]


class DemoView:
    """What the terminal shows: built from the events of the first bot."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.entries: list[dict] = []
        self.question = ""
        self.index = ""
        self.phase = "lobby"
        self.speaker = ""
        self.stream = ""
        self.last_scores: list[str] = []
        self.done = False
        self.ranking: list[dict] = []
        self.report_url: str | None = None

    def render(self):
        t = Table(title="Leaderboard", expand=True)
        for col in ("#", "name", "kind", "score"):
            t.add_column(col)
        for e in self.entries:
            t.add_row(str(e["rank"]), e["display_name"], e["kind"], str(e["score"]))
        head = Text(f"phase: {self.phase}   question {self.index}\n", style="bold")
        head.append(self.question + "\n", style="cyan")
        if self.speaker:
            head.append(f"\n{self.names.get(self.speaker, self.speaker)}: ", style="bold yellow")
            head.append(self.stream[-400:])
        scores = Text("\n".join(self.last_scores[-6:]), style="green")
        return Group(Panel(head, title="Interview Arena demo"), t, Panel(scores, title="latest scores"))


async def _play(url: str, bots: int, personas: list[str], questions: int, lang: str, answer_seconds: int,
                mode: str) -> int:
    view = DemoView()
    finished = asyncio.Event()
    clients: list[tuple[socketio.AsyncClient, str, str]] = []
    async with aiohttp.ClientSession() as http:
        for i in range(bots):
            name = f"bot-{i + 1}"
            token, uid = await _guest(http, url, name)
            sio = socketio.AsyncClient(reconnection=True)
            clients.append((sio, uid, name))
            await sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    host, host_uid, _ = clients[0]

    def attach_view(sio: socketio.AsyncClient) -> None:
        @sio.on("*")
        async def on_any(event, data=None):
            if not isinstance(data, dict):
                return
            if event == "question_asked":
                view.question, view.index = data["text"], f"{data['index']}/{data['total']}"
                view.speaker, view.stream = "", ""
            elif event == "phase_changed":
                view.phase = data["phase"]
            elif event == "turn_started":
                view.speaker, view.stream = data.get("participant_id") or "", ""
            elif event == "answer_stream":
                view.speaker, view.stream = data["participant_id"], data["text"]
            elif event == "answer_submitted":
                view.speaker, view.stream = data["participant_id"], data["text"]
            elif event == "score_update":
                view.last_scores.append(f"{view.names.get(data['participant_id'], data['participant_id'])}: "
                                        f"{data['score']}  — {data['feedback'][:90]}")
            elif event == "leaderboard_update":
                view.entries = data["entries"]
                view.names.update({e["participant_id"]: e["display_name"] for e in data["entries"]})
            elif event == "session_complete":
                view.ranking, view.report_url = data["ranking"], data.get("report_url")
                view.entries = data["ranking"]
                view.done = True
                finished.set()

    def attach_bot(sio: socketio.AsyncClient, uid: str, idx: int) -> None:
        script = SCRIPTS[lang][idx % len(SCRIPTS[lang])]

        @sio.on("turn_started")
        async def on_turn(data):
            mine = data.get("participant_id") == uid or uid in (data.get("participants") or [])
            if not mine:
                return
            words = script.split()
            shown = []
            for w in words:                           # type at a human-ish pace, well within the deadline
                shown.append(w)
                if len(shown) % 6 == 0:
                    await sio.call("answer_draft", {"text": " ".join(shown)}, timeout=10)
                    await asyncio.sleep(random.uniform(0.15, 0.3))
            await sio.call("submit_answer", {"text": script}, timeout=10)

    attach_view(host)
    for i, (sio, uid, _) in enumerate(clients):
        attach_bot(sio, uid, i)

    ack = await host.call("create_room", {
        "title": "arena demo", "personas": [{"id": p, "skill": 3 + (i % 3)} for i, p in enumerate(personas)],
        "question_count": questions, "language": lang, "turn_mode": mode, "answer_seconds": answer_seconds,
        "max_humans": max(bots, 1), "private": False}, timeout=10)
    if not ack.get("ok"):
        print("create_room failed:", ack)
        return 1
    join = await host.call("join_room", {"room_id": ack["room_id"]}, timeout=10)
    for p in join["state"]["participants"]:
        view.names[p["participant_id"]] = p["display_name"]
    for sio, _, _ in clients[1:]:
        j = await sio.call("join_room", {"join_code": ack["join_code"]}, timeout=10)
        if not j.get("ok"):
            print("join failed:", j)
            return 1
        await sio.call("set_ready", {"ready": True}, timeout=10)
    st = await host.call("start_match", {}, timeout=10)
    if not st.get("ok"):
        print("start_match failed:", st)
        return 1
    with Live(view.render(), refresh_per_second=8) as live:
        while not finished.is_set():
            live.update(view.render())
            await asyncio.sleep(0.125)
        live.update(view.render())
    print("\nFinal ranking:")
    for e in view.ranking:
        print(f"  {e['rank']}. {e['display_name']:<12} {e['kind']:<6} {e['score']}")
    if view.report_url:
        print(f"Report: {url}{view.report_url}")
    for sio, _, _ in clients:
        await sio.disconnect()
    return 0


def run_demo(url: str, bots: int = 2, personas: list[str] | None = None, questions: int = 3, lang: str = "ko",
             answer_seconds: int = 20, mode: str = "round_robin") -> int:
    """Play one scripted match against the server at ``url``; returns a process exit code."""
    bots = max(1, min(8, bots))
    try:
        return asyncio.run(_play(url, bots, personas or [], questions, lang, answer_seconds, mode))
    except (aiohttp.ClientError, socketio.exceptions.ConnectionError) as e:
        print(f"cannot reach the server at {url}: {e}\nStart it first with `make run` (or `arena serve`).")
        return 2
