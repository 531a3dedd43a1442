"""Cohort routes: a coach creates a cohort, candidates join with its invite code (consent to share),
and the coach reads the cohort's dashboard (JSON or CSV). Store: ``server/store/cohorts.py``.

Access: the dashboard answers 404 ``cohort_not_found`` to everyone but the cohort's coach (members,
other coaches, or a cohort that does not exist look the same), 401 without a token.
"""

from __future__ import annotations

import csv
import io

from aiohttp import web

from ..store import cohorts as store
from .common import ApiError, account, parse, pool
from .models import CohortIn, CohortListOut, CohortOut, DashboardOut, JoinCohortIn, JoinCohortOut, OkOut
from .registry import registry_of

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(v) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    s = "" if v is None else str(v)
    return "'" + s if s.startswith(_FORMULA) else s


def setup(app: web.Application) -> None:
    """Register the cohort routes on ``app``."""
    api = registry_of(app)

    async def create(request: web.Request) -> web.Response:
        p = await account(request)
        body = await parse(request, CohortIn)
        if p.role != "coach":
            raise ApiError(403, "coach_only", "only a coach account can create a cohort")
        return web.json_response(await store.create(pool(request), p.user_id, body.name))

    async def join(request: web.Request) -> web.Response:
        p = await account(request)
        body = await parse(request, JoinCohortIn)
        joined = await store.join(pool(request), p.user_id, body.invite_code)
        if joined is None:
            raise ApiError(404, "invite_code_not_found", "no cohort has this invite code")
        return web.json_response(joined)

    async def leave(request: web.Request) -> web.Response:
        p = await account(request)
        if not await store.leave(pool(request), p.user_id, request.match_info["cohort_id"]):
            raise ApiError(404, "cohort_not_found", "you are not a member of this cohort")
        return web.json_response(OkOut().model_dump())

    async def mine(request: web.Request) -> web.Response:
        p = await account(request)
        return web.json_response({"cohorts": await store.list_for(pool(request), p.user_id)})

    async def _dash(request: web.Request) -> dict:
        p = await account(request)
        dash = await store.dashboard(pool(request), p.user_id, request.match_info["cohort_id"])
        if dash is None:
            raise ApiError(404, "cohort_not_found", "no such cohort, or you are not its coach")
        return dash

    async def dashboard(request: web.Request) -> web.Response:
        return web.json_response(await _dash(request))

    async def dashboard_csv(request: web.Request) -> web.Response:
        dash = await _dash(request)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(store.DASHBOARD_CSV_COLUMNS)
        w.writerows([_cell(v) for v in row] for row in store.dashboard_rows(dash))
        return web.Response(body=("\ufeff" + buf.getvalue()).encode(), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="cohort-{dash["cohort_id"]}.csv"'})

    tags = ["cohorts"]
    api.add("GET", "/api/v1/cohorts", mine, "The cohorts you coach and the ones you joined", tags=tags,
            response=CohortListOut, auth=True, errors={403: "account_required"})
    api.add("POST", "/api/v1/cohorts", create, "Create a cohort (coach only)", tags=tags, request=CohortIn,
            response=CohortOut, auth=True, errors={403: "coach_only, account_required"})
    api.add("POST", "/api/v1/cohorts/join", join, "Join a cohort with its invite code (consent to share your matches)",
            tags=tags, request=JoinCohortIn, response=JoinCohortOut, auth=True,
            errors={403: "account_required", 404: "invite_code_not_found"})
    api.add("POST", "/api/v1/cohorts/{cohort_id}/leave", leave, "Leave a cohort (withdraw consent)", tags=tags,
            response=OkOut, auth=True, errors={403: "account_required", 404: "cohort_not_found"})
    api.add("GET", "/api/v1/cohorts/{cohort_id}/dashboard", dashboard, "The cohort's dashboard (its coach only)",
            tags=tags, response=DashboardOut, auth=True, errors={403: "account_required", 404: "cohort_not_found"})
    api.add("GET", "/api/v1/cohorts/{cohort_id}/dashboard.csv", dashboard_csv,
            "The dashboard as CSV, one row per answer (its coach only)", tags=tags, media_type="text/csv", auth=True,
            errors={403: "account_required", 404: "cohort_not_found"})
