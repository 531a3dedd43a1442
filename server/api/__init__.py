"""HTTP API modules: the route registry (OpenAPI), authentication helpers, accounts, cohorts, the reference."""


def setup_api(app) -> None:
    """Register the account, cohort and API-reference routes (``docs/accounts.md``)."""
    from . import accounts, cohorts, docs

    from ..store.cohorts import coach_sees

    accounts.setup(app)
    cohorts.setup(app)
    docs.setup(app)

    async def cohort_coach_sees(viewer_id: str, owner_id: str) -> bool:
        return await coach_sees(app["results"].pool, viewer_id, owner_id)

    app["coach_sees"] = cohort_coach_sees     # the report access rule (server/access.py)
