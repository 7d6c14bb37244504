"""Intake API and form: known, unknown and conflicting codes; bulk JSON and CSV/XLSX; who may receive."""

import io

import pytest
from openpyxl import Workbook

from core.models import AuditLog
from recycling_network.models import Intake, NetworkAlert, StockEntry
from tests.factories import OrganisationFactory, UserFactory
from traceability.models import Battery, LifecycleEvent

from .factories import make_pack, make_point, pack_code

URL = "/api/v1/intakes/"


def post_intake(client, point, code, **extra):
    body = {"point": point.pk, "code": code, "source_kind": "owner", "condition": "intact", **extra}
    return client.post(URL, body, format="json")


@pytest.mark.django_db
def test_known_code_moves_custody_to_the_operator_through_a_lifecycle_event(client_for, point, operator_user):
    pack = make_pack(mass_kg=310)
    response = post_intake(client_for(operator_user), point, pack.code.lower(), mass_kg="305.5")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["unregistered"] is False
    assert body["battery_state"] == "at_service_point"
    pack.refresh_from_db()
    assert pack.custodian_id == point.operator_id
    event = LifecycleEvent.objects.filter(battery=pack).order_by("-id").first()
    assert (event.kind, event.place_ref, event.region) == ("received", f"sp:{point.pk}", "BJ")
    assert StockEntry.objects.get(battery=pack).point == point
    assert AuditLog.objects.filter(action="intake.record", object_id=str(body["id"])).exists()


@pytest.mark.django_db
def test_intake_appears_in_the_battery_trace(client_for, point, operator_user):
    pack = make_pack()
    post_intake(client_for(operator_user), point, pack.code)
    trace = client_for(operator_user).get(f"/api/v1/batteries/{pack.code}/trace/")
    assert trace.status_code == 200, trace.content
    received = [e for e in trace.json()["events"] if e["kind"] == "received"]
    assert len(received) == 1
    assert received[0]["place"] == point.name_zh
    assert received[0]["ledger_index"] is not None  # and therefore in the ledger


@pytest.mark.django_db
def test_unknown_code_is_accepted_as_unregistered_and_flagged(client_for, point, operator_user):
    code = "ZZZPE01UNKNOWND110000042"
    response = post_intake(client_for(operator_user), point, code)
    assert response.status_code == 201, response.json()
    assert response.json()["unregistered"] is True
    battery = Battery.objects.get(code=code)
    assert battery.registered is False and battery.state == "at_service_point"
    alert = NetworkAlert.objects.get(kind="unregistered_code", battery=battery)
    assert alert.region == "BJ" and alert.point == point


@pytest.mark.django_db
def test_code_in_another_points_custody_is_a_conflict(client_for, point, operator_user):
    other_point = make_point()
    other_user = UserFactory(organisation=other_point.operator)
    pack = make_pack()
    assert post_intake(client_for(other_user), other_point, pack.code).status_code == 201
    response = post_intake(client_for(operator_user), point, pack.code)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "custody_conflict"
    assert other_point.code in error["message"] and "custody" in error["message"]
    pack.refresh_from_db()
    assert pack.custodian_id == other_point.operator_id
    assert Intake.objects.filter(battery=pack).count() == 1


@pytest.mark.django_db
def test_same_pack_twice_at_one_point_is_a_conflict(client_for, point, operator_user):
    pack = make_pack()
    client = client_for(operator_user)
    assert post_intake(client, point, pack.code).status_code == 201
    response = post_intake(client, point, pack.code)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_in_stock"


@pytest.mark.django_db
def test_dismantler_cannot_receive_into_a_point_it_does_not_operate(client_for, point):
    dismantler = UserFactory(organisation=OrganisationFactory(kinds=["dismantler"], region="BJ"))
    pack = make_pack()
    response = post_intake(client_for(dismantler), point, pack.code, source_kind="dismantler")
    assert response.status_code == 403
    assert "operator" in response.json()["error"]["message"]
    pack.refresh_from_db()
    assert pack.state == "registered" and not StockEntry.objects.filter(battery=pack).exists()


@pytest.mark.django_db
def test_dismantler_receives_into_the_point_it_operates(client_for):
    dismantler = OrganisationFactory(kinds=["dismantler"], region="HB")
    own_point = make_point(operator=dismantler, region="HB")
    response = post_intake(client_for(UserFactory(organisation=dismantler)), own_point, make_pack().code)
    assert response.status_code == 201


@pytest.mark.django_db
def test_another_tenants_draft_point_is_not_found(client_for, operator_user):
    draft = make_point(status="draft")
    response = post_intake(client_for(operator_user), draft, make_pack().code)
    assert response.status_code == 404


@pytest.mark.django_db
def test_suspended_point_takes_nothing_in(client_for, operator, automaker, operator_user):
    suspended = make_point(operator=operator, automakers=[automaker], status="suspended")
    response = post_intake(client_for(operator_user), suspended, make_pack().code)
    assert response.status_code == 400
    assert "published" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_bad_input_names_the_field(client_for, point, operator_user):
    response = post_intake(client_for(operator_user), point, "SHORT", condition="melted")
    assert response.status_code == 400
    assert "condition" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_read_only_user_cannot_take_in(client_for, point, operator):
    viewer = UserFactory(organisation=operator, role="viewer")
    assert post_intake(client_for(viewer), point, make_pack().code).status_code == 403


@pytest.mark.django_db
def test_intake_list_shows_only_own_points(client_for, point, operator_user):
    other_point = make_point()
    post_intake(client_for(UserFactory(organisation=other_point.operator)), other_point, make_pack().code)
    post_intake(client_for(operator_user), point, make_pack().code)
    rows = client_for(operator_user).get(URL).json()["results"]
    assert [r["point"] for r in rows] == [point.pk]


@pytest.mark.django_db
def test_bulk_json_intake_with_mixed_items(client_for, point, operator_user):
    held_elsewhere = make_pack()
    other_point = make_point()
    post_intake(client_for(UserFactory(organisation=other_point.operator)), other_point, held_elsewhere.code)
    known = make_pack()
    items = [
        {"code": known.code, "source_kind": "dealer", "condition": "intact", "mass_kg": 300},
        {"code": "ZZZPE01UNKNOWND110000077", "source_kind": "owner", "condition": "damaged"},
        {"code": held_elsewhere.code, "source_kind": "owner"},
        {"code": make_pack().code, "source_kind": "owner", "condition": "exploded"},
    ]
    response = client_for(operator_user).post(
        "/api/v1/intakes/bulk/", {"point": point.pk, "items": items}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == {"total": 4, "created": 2, "unchanged": 0, "error": 2}
    results = body["results"]
    assert results[0]["status"] == "created" and results[0]["unregistered"] is False
    assert results[1]["status"] == "created" and results[1]["unregistered"] is True
    assert results[2]["error_code"] == "custody_conflict"
    assert "condition" in results[3]["errors"]


@pytest.mark.django_db
def test_csv_upload_reports_each_row(client_for, point, operator_user):
    known, other_point = make_pack(), make_point()
    held = make_pack()
    post_intake(client_for(UserFactory(organisation=other_point.operator)), other_point, held.code)
    text = (
        "code,source_kind,condition,mass_kg,received_at,source_name\n"
        f"{known.code},owner,intact,301.5,2026-03-02 10:00,张三\n"
        f"{pack_code(9_000_001, maker='QQQ')},fleet_operator,leaking,,2026-03-02,公交车队\n"
        f"{held.code},owner,intact,,,\n"
        f"{make_pack().code},owner,intact,heavy,,\n"
    )
    upload = io.BytesIO(text.encode("utf-8-sig"))
    upload.name = "intake.csv"
    response = client_for(operator_user).post(
        "/api/v1/intakes/upload/", {"point": point.pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == {"total": 4, "created": 2, "conflict": 1, "error": 1, "unregistered": 1}
    assert [r["row"] for r in body["rows"]] == [2, 3, 4, 5]
    assert body["rows"][2]["status"] == "conflict" and other_point.code in body["rows"][2]["message"]
    intake = Intake.objects.get(code=known.code)
    assert intake.source_name == "张三" and str(intake.mass_kg) == "301.50"


@pytest.mark.django_db
@pytest.mark.parametrize("mass", ["1e999999", "12345678901", "-5", "0", "NaN", "Infinity", "abc"])
def test_an_uploaded_mass_that_is_no_weight_is_a_row_error_naming_the_column(
    client_for, point, operator_user, mass
):
    """Passed on, these were a database error for the whole file (overflow, NaN) or a negative weight stored."""
    text = f"code,source_kind,condition,mass_kg\n{make_pack().code},owner,intact,{mass}\n{make_pack().code},owner,intact,312.5\n"
    upload = io.BytesIO(text.encode())
    upload.name = "intake.csv"
    response = client_for(operator_user).post(
        "/api/v1/intakes/upload/", {"point": point.pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content
    bad, good = response.json()["rows"]
    assert bad["status"] == "error" and bad["field"] == "mass_kg" and "kilograms" in bad["message"]
    assert good["status"] == "created"
    assert [str(m) for m in Intake.objects.values_list("mass_kg", flat=True)] == ["312.50"]


@pytest.mark.django_db
def test_a_single_intake_with_a_negative_mass_is_refused(client_for, point, operator_user):
    response = post_intake(client_for(operator_user), point, make_pack().code, mass_kg="-5")
    assert response.status_code == 400 and "mass_kg" in response.json()["error"]["fields"]
    assert not Intake.objects.exists()


@pytest.mark.django_db
def test_xlsx_upload(client_for, point, operator_user):
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "source_kind", "condition"])
    ws.append([make_pack().code, "dealer", "intact"])
    ws.append(["", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "intake.xlsx"
    response = client_for(operator_user).post(
        "/api/v1/intakes/upload/", {"point": point.pk, "file": buf}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["summary"]["created"] == 1


@pytest.mark.django_db
def test_upload_of_a_non_table_is_refused(client_for, point, operator_user):
    upload = io.BytesIO(b"\xff\xfe\x00garbage")
    upload.name = "x.csv"
    response = client_for(operator_user).post(
        "/api/v1/intakes/upload/", {"point": point.pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_web_form_takes_a_scanned_code_and_shows_conflicts(client, point, operator_user):
    client.force_login(operator_user)
    pack = make_pack()
    page = client.get("/network/intake/")
    assert page.status_code == 200 and b"autofocus" in page.content
    form = {"point": point.pk, "code": pack.code, "source_kind": "owner", "condition": "intact"}
    response = client.post("/network/intake/", form)
    assert response.status_code == 302
    assert StockEntry.objects.filter(battery=pack, point=point).exists()
    again = client.post("/network/intake/", form)
    assert again.status_code == 200
    assert "already in stock" in again.content.decode()
