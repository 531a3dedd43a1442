"""Render ``docs/protocol.md`` from the pydantic models in :mod:`server.schemas`."""

from __future__ import annotations

from pydantic import BaseModel

from rooms.errors import ErrorCode

from . import schemas
from .config import PROTOCOL_VERSION
from .store.redis_store import EVENTS_MAXLEN, EVENTS_TTL_S
from .ratelimit import DEFAULT_BUDGETS, EVENT_CLASS, USER_FACTOR

def _rate_limits() -> list[str]:
    events = {c: ", ".join(f"`{e}`" for e, k in EVENT_CLASS.items() if k == c) for c in DEFAULT_BUDGETS}
    events["command"] = "every other event"
    rows = ["## Rate limits\n",
            "Every client event counts against a budget of its class, per connection and per user (all of a user's "
            f"connections together get {USER_FACTOR}x a connection's budget). A budget is a leaky bucket: `burst` events at once, "
            "refilled at `per second`. An event over budget is refused before its payload is read, with the error ack "
            "`rate_limited` (`error.retry_after_ms`: wait at least this long); nothing is broadcast and the room is untouched. "
            "Operators can change a class's budget with `ARENA_RATE_<CLASS>=burst,per_second` and turn limits off with "
            "`ARENA_RATE_LIMITS=0`; refusals are counted in `arena_rate_limited_total{event, scope}`.\n",
            "| class | events | burst | per second (per connection) | per user | why |", "|---|---|---|---|---|---|"]
    for c, b in DEFAULT_BUDGETS.items():
        rows.append(f"| `{c}` | {events[c]} | {b.burst} | {b.per_second:g} | {b.burst * USER_FACTOR} burst, "
                    f"{b.per_second * USER_FACTOR:g}/s | {b.why} |")
    return ["\n".join(rows) + "\n"]


def _type(info) -> str:
    if not isinstance(info, dict):
        return "any"
    if "$ref" in info:
        return info["$ref"].split("/")[-1]
    if "anyOf" in info:
        return " | ".join(_type(x) for x in info["anyOf"])
    if "enum" in info:
        return " | ".join(f'"{e}"' for e in info["enum"])
    if "const" in info:
        return f'"{info["const"]}"'
    t = info.get("type", "any")
    if t == "array":
        return f"[{_type(info.get('items', {}))}]"
    if t == "object" and "additionalProperties" in info:
        return f"{{str: {_type(info['additionalProperties'])}}}"
    return t


def _fields(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    props = schema.get("properties", {})
    req = set(schema.get("required", []))
    if not props:
        return "_no fields_\n"
    rows = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, info in props.items():
        notes = []
        for k in ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "maxItems"):
            if k in info:
                notes.append(f"{k} {info[k]}")
        if "default" in info and name not in req:
            notes.append(f"default `{info['default']}`")
        if info.get("description"):
            notes.append(info["description"])
        typ = _type(info).replace("|", "\\|")
        rows.append(f"| `{name}` | {typ} | {'yes' if name in req else 'no'} | {'; '.join(notes)} |")
    return "\n".join(rows) + "\n"


def _input_limits() -> list[str]:
    """The "Input limits" section: numbers from :mod:`server.wire`, names from :mod:`server.socketio_server`."""
    from . import wire
    from .socketio_server import RESERVED_EVENTS

    reserved = ", ".join(f"`{e}`" for e in sorted(RESERVED_EVENTS))
    return [
        "## Input limits\n",
        f"- **Sizes.** An HTTP request body is at most {wire.MAX_HTTP_BODY_BYTES // 1024} KB (else `413 payload_too_large`). "
        f"A Socket.IO/Engine.IO packet (websocket frame, or a binary attachment) is at most {wire.MAX_PACKET_BYTES // 1024} KB: "
        "a bigger one closes the connection. Answer text is at most 8 KB of UTF-8 (`text_too_long`), an `audio_chunk` 64 KB.",
        f"- **JSON depth.** HTTP bodies and Socket.IO payloads nest arrays/objects at most {wire.MAX_JSON_DEPTH} deep, "
        "checked before parsing (HTTP: `400 bad_request`; Socket.IO: see malformed packets).",
        "- **Characters.** Every string field of every client event and HTTP body refuses control characters "
        "(Unicode Cc: U+0000–U+001F, U+007F–U+009F) and lone surrogates with `bad_request`; multi-line text "
        "(`text` of `answer_draft`/`submit_answer`/`speaker_note`, `sdp`) may hold tab, LF and CR. "
        "The result store also drops any NUL that reaches it, so a match whose text was accepted is always stored.",
        f"- **Reserved event names** ({reserved}) sent by a client do nothing: with an ack id the ack is `unknown_event`.",
        "- **One payload per event.** An event with two or more arguments gets `bad_request`.",
        "- **Malformed packets** (not `[name, payload]` with a string name, bad JSON, too deep, a binary packet with "
        f"0 or more than {wire.MAX_ATTACHMENTS} attachments or a bad placeholder, a text frame where a binary attachment "
        "was due) get a `bad_request` ack when they carry an ack id; without one (or for an unknown namespace or a frame "
        "that is not Engine.IO) the server closes the connection, like the JavaScript server does on a parse error.",
        "- **HTTP errors** are JSON `{ok: false, error: {code, message}}`: `bad_request` (400), `not_found` (404, no such "
        "route), `room_not_found` (404; room ids are lowercase hex), `method_not_allowed` (405), `payload_too_large` (413).\n",
    ]


def render() -> str:
    """The whole protocol reference as Markdown."""
    out = [f"# Interview Arena protocol (version {PROTOCOL_VERSION})\n",
           "_Generated by `arena protocol-docs` from `server/schemas.py`; do not edit by hand "
           "(`make docs` regenerates it, and a test fails when it is stale)._\n",
           "## Conventions\n",
           "- Socket.IO at path `/socket.io`, namespace `/`. Connect with `auth: {\"token\": <JWT>}`: a guest token from `POST /api/v1/auth/guest` "
           "or an account's access token from `/api/v1/auth/login` / `register` / `refresh` (`docs/accounts.md`). "
           "A missing or bad token is refused with `connect_error` whose data is `{\"code\": \"unauthorized\"}`.",
           "- Every client-to-server event is acknowledged: `{\"ok\": true, …}` or `{\"ok\": false, \"error\": {\"code\", \"message\"}}`. "
           "An unknown event gets `unknown_event`; a payload that fails validation gets `bad_request` (or `text_too_long` for text over 8 KB of UTF-8); see Input limits.",
           "- Every room event carries `room_id` and `seq`, which increases by exactly one per room event. "
           "`join_room` and `request_state` return a `room_state` snapshot whose `seq` is the last event it includes: ignore events with "
           "`seq <= state.seq`, and call `request_state` when an event's `seq` is not the last one plus one.",
           "- Times are server epoch milliseconds (`deadline_ms`, `phase_ends_ms`); `connection_ack.server_time_ms` lets a client correct for clock skew.",
           "- Phases: `lobby → countdown → question → answering → scoring → reveal → (question …) → finished`.",
           "- Hidden information (`rooms/views.py`): a `room_state` and the room events carry only what the viewer may see. "
           "In simultaneous mode other participants' drafts and answers are sealed until `reveal` (events: `answer_locked` without text, "
           "then `answer_submitted` at the reveal); scores come at `reveal`; `evaluation_request` answers `not_scored_yet` until then. "
           "The host sees what any player sees.",
           "- A private room is not listed and needs its `join_code` to join, as a player or a spectator (`join_code_required`); "
           "a seated player (the host, a player back after a reload) rejoins by `room_id` alone.\n",
           "## Reconnecting: missed-event replay\n",
           "Socket.IO's connection state recovery, done by the game server (python-socketio has none):",
           f"- Every room event is appended to the room's Redis Stream **before** it is sent. The stream keeps at least the last "
           f"**{EVENTS_MAXLEN:,} events** of the room, for **{EVENTS_TTL_S // 60} minutes** after its last event, and is deleted "
           "when the room is disposed. Only room events (with `seq`) are kept; messages to one socket "
           "(`real_time_feedback`, `audio_processed`, `error_message`, acks) are not.",
           "- After a drop or a reload, rejoin with `join_room {room_id, role, last_seq}`, `last_seq` being the `seq` of the last "
           "room event you applied. If the stream still holds every event after it, the server sends them to your socket, in "
           "order, then your socket joins the room's live broadcast: every missed event exactly once, no gap, no duplicate. "
           "The ack is `{ok: true, replay: {from_seq, to_seq, events}}` (no snapshot): apply events as usual until `seq` reaches `to_seq`.",
           "- If the stream no longer holds them all (more than the retention behind, or a `last_seq` the room never reached), "
           "the ack is `{ok: true, state, replay: null}`: a `room_state` snapshot, as for a first join.",
           "- Without `last_seq`, `join_room` answers with a snapshot as before.\n",
           *_input_limits(),
           "## HTTP\n",
           "| method | path | body → response |", "|---|---|---|",
           "| POST | `/api/v1/auth/guest` | `{display_name}` → `{token, user_id}` (JWT, HS256, 7 days) |",
           "| GET | `/api/v1/personas[?lang=ko\\|en]` | → `[{id, company, name, summary, skills}]` |",
           "| GET | `/api/v1/config` | → `{protocol_version, serializer, tick_hz}` |",
           "| GET | `/api/v1/rooms` | → `{rooms}` (public rooms, as `list_rooms`) |",
           "| GET | `/api/v1/rooms/{room_id}/report` | participants, the cohort coach, or `?share=<token>` → the finished match: `{room_id, title, language, participants, ranking, questions: [{…, answers}], viewer, notes?}`; anyone else, or before it is stored: 404 (`docs/reports.md`) |",
           "| GET | `/api/v1/rooms/{room_id}/replay[?participant=]` | same viewers → per question: the answer, score, feedback, missed key points, a model answer, recording URL and word timings |",
           "| GET | `/api/v1/rooms/{room_id}/report.{pdf,csv,json}` | same viewers → a download |",
           "| GET | `/api/v1/rooms/{room_id}/answers/{answer_id}/recording` | same viewers → `audio/wav` |",
           "| POST, GET | `/api/v1/rooms/{room_id}/share` | a participant → `{share_url, token, link_id, created_at}` (201) / `{links}` |",
           "| DELETE | `/api/v1/rooms/{room_id}/share/{token}` | the link's owner → `{ok: true}` (revoked) |",
           "| GET | `/api/v1/me/matches`, `/api/v1/me/progress` | bearer token → the user's matches; scores by dimension and category over time |",
           "| GET | `/api/v1/boards` | → `{humans: {week, all}, ai, week_start}`: one entry per account; AI candidates apart |",
           "| GET | `/api/v1/leaderboard` | → `{entries}`: humans, all time (as `boards.humans.all`) |",
           "| … | `/api/v1/auth/*`, `/api/v1/me`, `/api/v1/cohorts…` | accounts, data rights, cohorts: `docs/accounts.md` |",
           "| GET | `/api/openapi.json`, `/api/docs` | the OpenAPI 3.1 document of every route, and Swagger UI |",
           "| GET | `/healthz` | liveness |",
           "| GET | `/readyz` | 200 when Redis and PostgreSQL answer, else 503 |",
           "| GET | `/metrics` | Prometheus text format |",
           "| GET | `/` | the web client |\n",
           *_rate_limits(),
           "## Client → server events\n"]
    for name, model in schemas.CLIENT_EVENTS.items():
        out.append(f"### `{name}`\n")
        doc = (model.__doc__ or "").strip().split("\n")[0]
        if doc and model is not schemas.Empty:
            out.append(doc + "\n")
        out.append(_fields(model))
        ack = schemas.CLIENT_ACKS.get(name, "")
        out.append(f"Ack on success: `{{ok: true}}`{' plus ' + ack if ack else ''}\n")
    out.append("## Server → client events\n")
    for name, model in schemas.SERVER_EVENTS.items():
        out.append(f"### `{name}`\n")
        doc = (model.__doc__ or "").strip().split("\n")[0]
        if doc:
            out.append(doc + "\n")
        out.append(_fields(model))
    out.append("### `LeaderboardEntry`\n")
    out.append(_fields(schemas.LeaderboardEntry))
    out.append("## Error codes\n")
    out.append("| code |\n|---|")
    codes = [v for k, v in vars(ErrorCode).items() if k.isupper()] + ["bad_audio", "media_unavailable", "bad_sdp", "bad_sample_rate", "chunk_too_large", "overloaded", "silence", "no_speech", "model_unavailable", "media_moved", "kicked"]
    out.extend(f"| `{c}` |" for c in codes)
    return "\n".join(out) + "\n"
