import pytest

from tests.dashboards.factories import build_world


@pytest.fixture
def world(db, monkeypatch):
    return build_world(monkeypatch)
