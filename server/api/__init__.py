"""HTTP routes by topic, each module with a ``setup(app)`` that ``server/http.py`` calls."""
