"""The platform's one list page: rows a selector returns, narrowed by a FilterSet, shown a page at a time and
downloaded as CSV or XLSX with the same filters (as NetBox's ``ObjectListView``).

A page declares what differs and nothing else::

    class BatteryList(ObjectListView):
        template_name = "traceability/battery_search.html"
        filterset_class = BatteryFilterSet
        paginate_by = 50
        export_filename = "batteries"
        columns = [Column("code"), Column("maker", lambda b: b.maker or "")]

        def get_queryset(self):
            return selectors.batteries_visible(user=self.request.user)

Exports go through :func:`core.tabular.export_response`, which makes text that starts like a formula inert in
CSV and stores every text as a text cell in XLSX (CSV injection, OWASP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views import View

from core.tabular import export_response, too_many_rows

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    """One exported column: its header and the row's value, an attribute path (``battery.code``; a missing link
    gives an empty cell) or a callable of the row. Without a value the header is the attribute path."""

    header: str
    value: str | Callable[[Any], Any] | None = None

    def __call__(self, row) -> Any:
        value = self.value if self.value is not None else self.header
        if callable(value):
            return value(row)
        for part in value.split("."):
            if row is None:
                return None
            row = row[part] if isinstance(row, dict) else getattr(row, part)
        return row


class ObjectListView(View):
    """Filter, paginate and export one list of rows.

    ``get_queryset`` returns the rows the user may read (a selector, never an unscoped manager); the FilterSet
    narrows them. ``invalid_filters`` says what an invalid filter form does: ``"ignore"`` drops the invalid
    values and keeps the valid ones (django-filter's behaviour), ``"unfiltered"`` lists every row while the
    form shows its errors. ``bind_empty`` binds the FilterSet to an empty query string too (otherwise the form
    is unbound until a filter is sent)."""

    template_name: ClassVar[str] = ""
    title: ClassVar[Any] = ""
    filterset_class: ClassVar[type | None] = None
    filter_context_name: ClassVar[str] = "filter"
    invalid_filters: ClassVar[str] = "ignore"
    bind_empty: ClassVar[bool] = True
    paginate_by: ClassVar[int | None] = 25  # None: every row on one page (a report), no ``page``
    paginator_class: ClassVar[type[Paginator]] = Paginator
    columns: ClassVar[Sequence[Column]] = ()
    export_formats: ClassVar[Sequence[str]] = EXPORT_FORMATS
    export_filename: ClassVar[str] = "export"
    export_limit: ClassVar[int | None] = None

    request: HttpRequest

    # ---- what a page declares --------------------------------------------------------------------------------

    def get_queryset(self):
        raise NotImplementedError(f"{type(self).__name__} must say which rows it lists")

    def get_context_data(self, **context) -> dict:
        """The page's own context beside ``page``, ``query``, ``title`` and the FilterSet (the filtered rows
        are ``self.object_list``)."""
        return context

    def decorate(self, page) -> None:
        """Give the rows of one page (every row when not paginated) what the template needs beyond the row (once per page, not per row)."""

    # ---- filtering -------------------------------------------------------------------------------------------

    def get_filterset(self, queryset):
        if self.filterset_class is None:
            return None
        data = self.request.GET if self.bind_empty else (self.request.GET or None)
        return self.filterset_class(data, queryset=queryset)

    def filter_queryset(self, filterset, queryset):
        if filterset is None:
            return queryset
        if self.invalid_filters == "unfiltered" and not (filterset.is_bound and filterset.is_valid()):
            return queryset
        return filterset.qs

    def get_rows(self, queryset):
        """The filtered rows before paging (a page may order or annotate them here)."""
        return queryset

    # ---- export ----------------------------------------------------------------------------------------------

    def export_format(self) -> str | None:
        fmt = self.request.GET.get("export")
        return fmt if fmt in self.export_formats else None

    def export_header(self) -> list[str]:
        return [c.header for c in self.columns]

    def export_rows(self, rows) -> Iterable[Sequence]:
        """The export's rows; past ``export_limit`` the export is refused (400 naming the limit), not cut short."""
        columns = self.columns
        if self.export_limit is not None:
            head = rows[: self.export_limit + 1]
            # A QuerySet counts with COUNT over LIMIT, without reading the rows.
            found = len(head) if isinstance(head, list | tuple) else head.count()
            if found > self.export_limit:
                raise too_many_rows(self.export_limit, what="one export")
        return ([column(row) for column in columns] for row in rows)

    def get_export_filename(self) -> str:
        return self.export_filename

    def export(self, rows, fmt: str) -> HttpResponse | StreamingHttpResponse:
        return export_response(
            self.export_rows(rows), self.export_header(), filename=self.get_export_filename(), fmt=fmt
        )

    # ---- paging ----------------------------------------------------------------------------------------------

    def paginate(self, rows) -> Page:
        return self.paginator_class(rows, self.paginate_by).get_page(  # type: ignore[arg-type]  # called only when paginate_by is set
            self.request.GET.get("page")
        )

    def page_query(self) -> str:
        """The query string without ``page`` and ``export``, for the pager's and the export buttons' links."""
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        return query.urlencode()

    # ---- the request -----------------------------------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        return self.list_response()

    def list_response(self, **extra) -> HttpResponse | StreamingHttpResponse:
        base = self.get_queryset()
        filterset = self.get_filterset(base)
        rows = self.get_rows(self.filter_queryset(filterset, base))
        fmt = self.export_format()
        if fmt is not None:
            return self.export(rows, fmt)
        self.object_list = rows
        context = {"title": self.title, "query": self.page_query()}
        if self.paginate_by:
            context["page"] = page = self.paginate(rows)
            self.decorate(page)
        else:
            self.decorate(rows)
        if filterset is not None:
            context[self.filter_context_name] = filterset
        context.update(extra)
        return self.render_list(self.get_context_data(**context))

    def render_list(self, context: dict) -> HttpResponse:
        return render(self.request, self.template_name, context)
