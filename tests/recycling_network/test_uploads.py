"""Uploads at intake (R-NET): codes that are not codes, photos checked by content, files bounded in bytes
and rows, and stored photos served only as downloads to those who may read the intake."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook
from PIL import Image

from recycling_network.models import Intake
from tests.factories import OrganisationFactory, UserFactory

from .factories import make_pack

pytestmark = pytest.mark.django_db
URL = "/api/v1/intakes/"


def png_bytes(fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def post(client, point, code, **extra):
    body = {"point": point.pk, "code": code, "source_kind": "owner", "condition": "intact", **extra}
    return client.post(URL, body, format="multipart" if "photo" in extra else "json")


def upload(client, point, name, content: bytes):
    """A bulk intake file for ``point``."""
    return client.post(
        "/api/v1/intakes/upload/",
        {"point": point.pk, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


@pytest.mark.parametrize(
    "code",
    [
        '=HYPERLINK("http://evil.example","x")',
        "<script>alert(1)</script>",
        "+1+1AAAAAAAAAAAAAAAAAAAA",
        "@SUM(A1:A9)AAAAAAAAAAAA",
    ],
)
def test_text_that_is_not_a_code_is_refused_naming_the_field(client_for, point, operator_user, code):
    response = post(client_for(operator_user), point, code)
    assert response.status_code == 400, response.content
    assert "code" in response.json()["error"]["fields"]
    assert not Intake.objects.exists()


def test_a_well_formed_unknown_code_is_still_taken_in(client_for, point, operator_user):
    response = post(client_for(operator_user), point, "ZZZPE01UNKNOWND110000042")
    assert response.status_code == 201 and response.json()["unregistered"] is True


def test_the_bulk_upload_reports_a_formula_row_as_an_error_on_code(client_for, point, operator_user):
    good = make_pack().code
    csv = f'code,source_kind\n{good},owner\n"=HYPERLINK(""http://x"")",owner\n'.encode()
    response = upload(client_for(operator_user), point, "in.csv", csv)
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    assert [r["status"] for r in rows] == ["created", "error"]
    assert rows[1]["field"] == "code"


def test_an_xlsx_over_the_row_limit_is_refused_on_file(client_for, point, operator_user, settings):
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "source_kind"])
    for n in range(10001):
        ws.append([f"ROW{n}", "owner"])
    buf = io.BytesIO()
    wb.save(buf)
    response = upload(client_for(operator_user), point, "big.xlsx", buf.getvalue())
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    assert not Intake.objects.exists()


def test_a_file_over_the_byte_limit_is_refused_on_file(client_for, point, operator_user, settings):
    settings.TABULAR_UPLOAD_MAX_BYTES = 2000
    response = upload(client_for(operator_user), point, "big.csv", b"code\n" + b"A" * 5000)
    assert response.status_code == 400
    assert "2000" in str(response.json()["error"]["fields"]["file"])


def test_an_upload_past_the_ceiling_is_not_stored(client_for, point, operator_user, settings):
    settings.UPLOAD_CEILING_BYTES = 1000
    response = upload(client_for(operator_user), point, "big.csv", b"code\n" + b"A" * 5000)
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"broken"),
        ("photo.gif", None),  # a real image, of a format that is not accepted
    ],
)
def test_a_photo_is_checked_by_its_content(client_for, point, operator_user, name, content):
    if content is None:
        content = png_bytes("GIF")
    photo = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = post(client_for(operator_user), point, make_pack().code, photo=photo)
    assert response.status_code == 400, response.content
    assert "photo" in response.json()["error"]["fields"]
    assert not Intake.objects.exists()


def test_a_photo_over_the_limit_is_refused(client_for, point, operator_user, settings):
    settings.PHOTO_UPLOAD_MAX_BYTES = 50
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    response = post(client_for(operator_user), point, make_pack().code, photo=photo)
    assert response.status_code == 400 and "photo" in response.json()["error"]["fields"]


def test_a_photo_is_stored_under_its_real_format_and_served_as_a_download(
    client_for, point, operator_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("evil.html", png_bytes(), content_type="text/html")
    response = post(client_for(operator_user), point, make_pack().code, photo=photo)
    assert response.status_code == 201, response.content
    intake = Intake.objects.get()
    assert intake.photo.name.endswith(".png") and "evil" not in intake.photo.name
    url = response.json()["photo"]
    assert url.startswith("/media/intake/")
    download = client_for(operator_user).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == png_bytes()
    # Nobody else reads it: another enterprise and the anonymous public get nothing.
    stranger = UserFactory(organisation=OrganisationFactory(kinds=["service_operator"], region="BJ"))
    assert client_for(stranger).get(url).status_code == 404

    assert Client().get(url).status_code in (401, 403)


def test_the_intake_page_names_the_field_at_fault(client, point, operator_user):
    client.force_login(operator_user)
    body = {"point": point.pk, "source_kind": "owner", "condition": "intact"}
    page = client.post("/network/intake/", {**body, "code": '=HYPERLINK("x")'})
    assert page.status_code == 200 and "not a battery code" in page.context["form"].errors["code"][0]
    photo = SimpleUploadedFile("p.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg")
    page = client.post("/network/intake/", {**body, "code": make_pack().code, "photo": photo})
    assert page.status_code == 200 and "photo" in page.context["form"].errors
    assert not Intake.objects.exists()
