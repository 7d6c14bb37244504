"""CSV and XLSX in and out: uploads parsed to row dicts, querysets and rows exported with the same columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TabularError(ValueError):
    pass


def read_rows(uploaded, *, max_rows: int = 10000) -> list[dict[str, str]]:
    """Parse an uploaded CSV (UTF-8, BOM tolerated) or XLSX file into dicts keyed by the header row."""
    name = (getattr(uploaded, "name", "") or "").lower()
    data = uploaded.read()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _read_xlsx(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TabularError("the file is not UTF-8 text; save it as CSV UTF-8 or XLSX") from exc
        rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise TabularError("the file is empty")
    header = [str(h).strip() for h in rows[0]]
    body = rows[1:]
    if len(body) > max_rows:
        raise TabularError(f"{len(body)} rows; at most {max_rows} per file")
    return [
        {h: ("" if v is None else str(v).strip()) for h, v in zip(header, r, strict=False) if h} for r in body
    ]


def _read_xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise TabularError(f"not a readable XLSX file: {exc}") from exc
    ws = wb.worksheets[0]
    return [["" if c is None else c for c in row] for row in ws.iter_rows(values_only=True)]


class _Echo:
    def write(self, value):
        return value


def export_response(
    rows: Iterable[Sequence], header: Sequence[str], *, filename: str, fmt: str = "csv"
) -> HttpResponse:
    """A download of ``rows`` under ``header`` as CSV (streamed) or XLSX."""
    if fmt == "xlsx":
        from openpyxl import Workbook  # noqa: PLC0415

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(list(header))
        for row in rows:
            ws.append([_cell(v) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        response = HttpResponse(buf.getvalue(), content_type=XLSX_MIME)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    writer = csv.writer(_Echo())

    def stream():
        # The BOM makes spreadsheet programs read the Chinese text as UTF-8; rows go out in chunks because a
        # chunk per row costs more in the WSGI layer than writing the CSV itself.
        chunk = ["\ufeff", writer.writerow(header)]
        for row in rows:
            chunk.append(writer.writerow([_cell(v) for v in row]))
            if len(chunk) >= 500:
                yield "".join(chunk)
                chunk.clear()
        if chunk:
            yield "".join(chunk)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return value
    return str(value)
