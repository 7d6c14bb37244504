"""CSV and XLSX in and out: uploads parsed to row dicts, querysets and rows exported with the same columns."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, StreamingHttpResponse

from core.errors import Invalid

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TabularError(ValueError):
    pass


# Upload bounds: bytes as sent, bytes once an XLSX (a zip) is inflated, rows per file.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_INFLATION = 10
# An XLSX file is built whole in memory before the first byte goes out; a CSV export streams and has no limit.
DEFAULT_XLSX_MAX_ROWS = 100_000


def max_upload_bytes() -> int:
    return int(getattr(settings, "TABULAR_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def read_rows(uploaded, *, max_rows: int = 10000, max_bytes: int | None = None) -> list[dict[str, str]]:
    """Parse an uploaded CSV (UTF-8, BOM tolerated) or XLSX file into dicts keyed by the header row.

    Refuses a file over ``max_bytes`` (setting ``TABULAR_UPLOAD_MAX_BYTES``) before reading it, and stops
    reading at the ``max_rows``-th data row: a file is never loaded whole only to be refused."""
    max_bytes = max_bytes or max_upload_bytes()
    size = getattr(uploaded, "size", None)
    if size is not None and size > max_bytes:
        raise TabularError(f"the file has {size} bytes; at most {max_bytes} per file")
    data = uploaded.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TabularError(f"the file is larger than {max_bytes} bytes")
    name = (getattr(uploaded, "name", "") or "").lower()
    rows: Iterable[Sequence]
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _read_xlsx(data, max_bytes=max_bytes)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TabularError("the file is not UTF-8 text; save it as CSV UTF-8 or XLSX") from exc
        if "\x00" in text:
            # Valid CSV to Python, but no text column can store it; naming the line lets the sender mend it.
            line = text.count("\n", 0, text.index("\x00")) + 1
            raise TabularError(f"line {line} contains the NUL character (U+0000); the file is not plain text")
        rows = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    body: list[Sequence] = []
    for row in rows:
        if not any(str(c).strip() for c in row if c is not None):
            continue
        if header is None:
            header = [str(h).strip() for h in row]
            continue
        if len(body) == max_rows:
            raise TabularError(f"more than {max_rows} rows; at most {max_rows} per file")
        body.append(row)
    if header is None:
        raise TabularError("the file is empty")
    return [
        {h: ("" if v is None else str(v).strip()) for h, v in zip(header, r, strict=False) if h} for r in body
    ]


def _read_xlsx(data: bytes, *, max_bytes: int) -> Iterator[tuple]:
    """The first sheet's rows, streamed (openpyxl's read-only mode reads the sheet as it goes)."""
    from openpyxl import load_workbook  # noqa: PLC0415 - openpyxl loads only for XLSX files

    try:
        inflated = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise TabularError(f"not a readable XLSX file: {exc}") from exc
    if inflated > max_bytes * MAX_INFLATION:
        raise TabularError("the XLSX file inflates to too much data; split it into several files")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise TabularError(f"not a readable XLSX file: {exc}") from exc
    return ws.iter_rows(values_only=True)


# A cell that a spreadsheet program would read as a formula (or a DDE command) when it starts with one of these.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """``value`` made inert for a CSV cell: text that starts like a formula gets a leading apostrophe, which
    spreadsheet programs show as text (OWASP, CSV injection)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


class UploadCeilingHandler(FileUploadHandler):
    """Stops storing an uploaded file once it passes ``UPLOAD_CEILING_BYTES`` (the rest of the request is read
    and dropped), so that no upload fills the disk before a form or serializer gets to refuse it."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)

        self.ceiling, self.received = int(getattr(settings, "UPLOAD_CEILING_BYTES", 32 * 1024 * 1024)), 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.ceiling:
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class _Echo:
    def write(self, value):
        return value


def xlsx_max_rows() -> int:
    return int(getattr(settings, "XLSX_EXPORT_MAX_ROWS", DEFAULT_XLSX_MAX_ROWS))


def too_many_rows(limit: int, *, what: str, advice: str = "narrow the filters") -> Invalid:
    """The refusal of an export past its limit: the file is not cut short without a word."""
    return Invalid(
        f"more than {limit:,} rows for {what}; {advice}", field="export", code="export.too_many_rows"
    )


def export_response(
    rows: Iterable[Sequence], header: Sequence[str], *, filename: str, fmt: str = "csv"
) -> HttpResponse | StreamingHttpResponse:
    """A download of ``rows`` under ``header`` as CSV (streamed, any length) or XLSX (built in memory, so at most
    ``XLSX_EXPORT_MAX_ROWS`` rows; past them the export is refused, naming the limit)."""
    if fmt == "xlsx":
        from openpyxl import Workbook  # noqa: PLC0415 - openpyxl loads only for XLSX files

        limit = xlsx_max_rows()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append([_xlsx_cell(ws, h) for h in header])
        for count, row in enumerate(rows, start=1):
            if count > limit:
                raise too_many_rows(limit, what="an XLSX file", advice="narrow the filters, or export CSV")
            ws.append([_xlsx_cell(ws, v) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        response = HttpResponse(buf.getvalue(), content_type=XLSX_MIME)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    writer = csv.writer(_Echo())

    def stream():
        # The BOM makes spreadsheet programs read the Chinese text as UTF-8; rows go out in chunks because a
        # chunk per row costs more in the WSGI layer than writing the CSV itself.
        chunk = ["\ufeff", writer.writerow([_csv_cell(h) for h in header])]
        for row in rows:
            chunk.append(writer.writerow([_csv_cell(v) for v in row]))
            if len(chunk) >= 500:
                yield "".join(chunk)
                chunk.clear()
        if chunk:
            yield "".join(chunk)

    streamed = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    streamed["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return streamed


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal | str):
        return value
    return str(value)


def _csv_cell(value):
    value = _cell(value)
    return neutralise(value) if isinstance(value, str) else value


def _xlsx_cell(ws, value):
    """Text always goes in as a text cell: openpyxl would store text starting with ``=`` as a formula. The
    text itself is kept as it was (a text cell is never evaluated)."""
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - openpyxl loads only for XLSX files
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415 - openpyxl loads only for XLSX files

    value = _cell(value)
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))  # control characters XML cannot hold
    cell.data_type = "s"
    return cell
