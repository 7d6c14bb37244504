"""The page frame (R-PUBLIC): Chinese first (without the visitor's choice pages are in Chinese; the switch sets
the choice and it is kept) and a window title that names the page once."""

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese_default")]


@pytest.fixture
def chinese_default():
    with override_settings(LANGUAGE_CODE="zh-hans"):
        yield


def _lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("header", ["", "en", "en-US,en;q=0.9", "de-DE,de;q=0.8,en;q=0.5", "fr"])
def test_a_visitor_without_a_choice_sees_chinese_whatever_the_browser_asks(client, header):
    response = client.get("/service-points/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert _lang(response) == "zh-hans"


def test_the_switch_sets_the_choice_and_keeps_it_across_visits(client):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/service-points/"})
    assert switched.status_code == 302
    cookie = switched.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 30 * 24 * 3600  # kept beyond the browser session
    for url in ("/service-points/", "/recycling-guide/", "/"):
        assert _lang(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")) == "en"
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert _lang(client.get("/recycling-guide/", HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"


def test_an_unknown_language_choice_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert _lang(client.get("/service-points/", HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"


@pytest.mark.parametrize(
    ("url", "expected"),
    [("/", "京津冀动力电池溯源平台"), ("/accounts/login/", "登录 · 京津冀动力电池溯源平台")],
)
def test_the_window_title_names_the_page_once(client, url, expected):
    body = client.get(url).content.decode()
    assert body.split("<title>", 1)[1].split("</title>", 1)[0] == expected
