"""Two requests writing the same record at once: the one that commits second meets the database's unique index
(PostgreSQL's ``unique_violation``, SQLSTATE 23505) after every check in the services passed for both.

``first_writer_wins`` turns that into the service's own refusal where the service knows what it means (a code
already registered); ``written_meanwhile`` is the net under everything else, read by the one place that maps
refusals to HTTP for the API and the one for pages: a 409 that says what happened, never a server error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
from django.db import IntegrityError, transaction

from .errors import Conflict, ServiceError

UNIQUE_VIOLATION = "23505"


def unique_violation(exc: BaseException) -> str | None:
    """The constraint a unique violation names (``traceability_battery_code_key``); None for any other error.
    Django wraps the driver's error in its ``IntegrityError``; a ``COPY`` on the raw cursor raises it bare."""
    for error in (exc, exc.__cause__ if isinstance(exc, IntegrityError) else None):
        if isinstance(error, psycopg2.IntegrityError) and error.pgcode == UNIQUE_VIOLATION:
            return getattr(error.diag, "constraint_name", None) or "unique"
    return None


@contextmanager
def first_writer_wins(refusal: Callable[[str], ServiceError]) -> Iterator[None]:
    """Run the insert in a savepoint; a unique violation becomes ``refusal(constraint)``, and the surrounding
    transaction carries on (the savepoint alone is rolled back)."""
    try:
        with transaction.atomic():
            yield
    except (IntegrityError, psycopg2.IntegrityError) as exc:
        constraint = unique_violation(exc)
        if constraint is None:
            raise
        raise refusal(constraint) from exc


def written_meanwhile(exc: BaseException) -> Conflict | None:
    """The 409 for a unique violation no service caught; None for any other error."""
    if unique_violation(exc) is None:
        return None
    return Conflict(
        "another request recorded the same at the same moment; reload, check what is recorded now, and send "
        "again only what is missing",
        code="conflict.written_meanwhile",
    )
