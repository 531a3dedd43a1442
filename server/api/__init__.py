"""HTTP API modules: the route registry (OpenAPI), authentication helpers, accounts, cohorts, the reference."""


def setup_api(app) -> None:
    """Register the account, cohort and API-reference routes (``docs/accounts.md``)."""
    from . import accounts, cohorts, docs

    accounts.setup(app)
    cohorts.setup(app)
    docs.setup(app)
