"""An app's setting comes from Django settings, else the environment, else its default, cast by its entry."""

from core.conf import setting

DEFAULTS = {"JJJ_TEST_LIMIT": (int, 7)}


def test_the_default_when_neither_settings_nor_environment_say(monkeypatch):
    monkeypatch.delenv("JJJ_TEST_LIMIT", raising=False)
    assert setting(DEFAULTS, "JJJ_TEST_LIMIT") == 7


def test_the_environment_cast_and_an_empty_value_unset(monkeypatch):
    monkeypatch.setenv("JJJ_TEST_LIMIT", "12")
    assert setting(DEFAULTS, "JJJ_TEST_LIMIT") == 12
    monkeypatch.setenv("JJJ_TEST_LIMIT", "")
    assert setting(DEFAULTS, "JJJ_TEST_LIMIT") == 7


def test_settings_win_over_the_environment(monkeypatch, settings):
    monkeypatch.setenv("JJJ_TEST_LIMIT", "12")
    settings.JJJ_TEST_LIMIT = "30"
    assert setting(DEFAULTS, "JJJ_TEST_LIMIT") == 30
