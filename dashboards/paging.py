"""Paging and exporting long row lists without reading them whole (R-SHARE: the rows behind every figure).

A list of millions of uploads is not counted exactly on every page view: :class:`CappedPaginator` counts at
most ``cap`` rows (``SELECT count(*) FROM (... LIMIT cap + 1)``) and the page says "more than cap" instead of
the total. Exports stream from a server-side cursor in index order (:func:`streamed`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db import transaction
from django.utils.functional import cached_property

ROW_CAP = 10_000
CHUNK = 2_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap``; ``capped`` tells the page that more rows match."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap or ROW_CAP
        self.capped = False

    @cached_property
    def count(self) -> int:
        # No ORDER BY in the count: any plan that finds cap + 1 matching rows will do.
        seen = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = seen > self.cap
        return min(seen, self.cap)


def streamed(rows, *, chunk_size: int = CHUNK) -> Iterator:
    """Yield ``rows`` (a ``values_list`` queryset) in chunks from a server-side cursor.

    In autocommit mode Django declares the cursor WITH HOLD, and PostgreSQL then computes the whole result when
    the implicit transaction commits, before the first row is sent; inside a transaction the cursor is an
    ordinary one and rows flow as soon as the plan yields them (read-only: the transaction writes nothing)."""
    with transaction.atomic():
        yield from rows.iterator(chunk_size=chunk_size)
