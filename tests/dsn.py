"""The test database as a URL for processes a test starts (gateway, workers)."""

from urllib.parse import quote


def dsn_of(connection) -> str:
    """A URL for the test database that dj_database_url and libpq both read (a socket directory too)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    host = quote(s.get("HOST") or "127.0.0.1", safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"
