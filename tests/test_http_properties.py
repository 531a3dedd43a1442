"""Property-based tests of every HTTP route (hypothesis): generated paths, path parameters, query
strings, methods and bodies against the real server. No response is a 5xx, and every 4xx from our
routes is a JSON error body ``{"ok": false, "error": {code, message}}``."""

from __future__ import annotations

import json
from urllib.parse import quote

import aiohttp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from yarl import URL

from server.wire import MAX_HTTP_BODY_BYTES

ODD = st.sampled_from(["", "\x00", "%00", "\ud800", "..", "../..", "a" * 300, "0123456789abcdef", "DEADBEEF",
                       "가나다", " ", "\n", "{}", "null", "%FF", "%", "?", "#", ";", "\\"])
TEXT = st.text(max_size=40) | ODD
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(TEXT, c, max_size=4), max_leaves=12)
BODY = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={"display_name": JSON | TEXT, "extra": JSON}).map(lambda v: json.dumps(v).encode()),
    st.integers(10, 20_000).map(lambda d: ("[" * d + "]" * d).encode()),
    st.integers(10, 5_000).map(lambda d: ('{"display_name":' + "[" * d + "]" * d + "}").encode()),
    st.just(b"{" + b" " * (MAX_HTTP_BODY_BYTES + 10) + b"}"),
    st.binary(max_size=20).map(lambda b: b"\xef\xbb\xbf" + b),          # BOM, then anything
)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
QUERY = st.dictionaries(st.sampled_from(["lang", "EIO", "transport", "sid", "j", "t", "x"]) | TEXT, TEXT, max_size=3)


def _segment(s: str) -> str:
    return s if s.startswith("%") else quote(s.encode("utf-8", "surrogatepass"), safe="")


def requests_for(routes: list[tuple[str, str]], n: int) -> list[tuple]:
    """``n`` generated requests ``(method, path, query, body, content_type)`` over ``routes``."""
    out: list[tuple] = []

    @settings(max_examples=n, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(routes), st.booleans(), METHODS, TEXT, QUERY, BODY,
           st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", None]))
    def collect(route, own_method, method, param, query, body, ctype):
        method_, template = route
        path = template.replace("{room_id}", _segment(param)).replace("{tail}", _segment(param))
        out.append((method_ if own_method else method, path, query, body, ctype))

    collect()
    return out


async def test_no_route_answers_5xx_and_errors_are_json(server):
    routes = []
    for r in server.app.router.routes():
        info = r.resource.get_info() if r.resource is not None else {}
        template = info.get("formatter") or info.get("path") or (info.get("prefix", "") + "/{tail}")
        routes.append(("POST" if r.method == "*" else r.method, template))
    routes.append(("GET", "/{tail}"))                                     # no such route
    assert {"/api/v1/auth/guest", "/api/v1/rooms/{room_id}/report", "/api/v1/personas", "/socket.io/"} <= {t for _, t in routes}
    reqs = requests_for(routes, 600)
    seen = {}
    async with aiohttp.ClientSession() as http:
        for method, path, query, body, ctype in reqs:
            url = URL(server.base + path, encoded=True).update_query(
                {k.encode("utf-8", "surrogatepass").decode("utf-8", "replace"):
                 v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in query.items()})
            headers = {"Content-Type": ctype} if ctype else {}
            async with http.request(method, url, data=body if method not in ("GET", "HEAD") else None,
                                    headers=headers) as r:
                text = await r.read()
                seen[r.status] = seen.get(r.status, 0) + 1
                assert r.status < 500 or (path == "/readyz" and r.status == 503), (method, path, r.status, text[:200])
                if r.status >= 400 and not path.startswith("/socket.io") and method != "HEAD":
                    assert r.content_type == "application/json", (method, path, r.status, text[:200])
                    err = json.loads(text)["error"]
                    assert err["code"] and err["message"], (method, path, err)
    print("\nHTTP statuses:", dict(sorted(seen.items())))
    assert len(seen) >= 4                                                  # the generator reaches several outcomes
