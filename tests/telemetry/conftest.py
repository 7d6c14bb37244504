import pytest


@pytest.fixture(autouse=True)
def _no_samples_left_behind(request):
    """The sample table is not a Django-managed table, so a transactional test's flush leaves its rows: clear
    them, or a later test reusing a VIN would see them."""
    yield
    if request.node.get_closest_marker("django_db") and request.node.get_closest_marker(
        "django_db"
    ).kwargs.get("transaction"):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("TRUNCATE telemetry_sample")
