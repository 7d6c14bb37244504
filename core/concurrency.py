"""Two requests writing the same record at once: the one that commits second meets the database's unique index
(PostgreSQL's ``unique_violation``, SQLSTATE 23505) after every check in the services passed for both.

``first_writer_wins`` turns that into the service's own refusal where the service knows what it means (a code
already registered); ``written_meanwhile`` is the net under everything else, read by the one place that maps
refusals to HTTP for the API and the one for pages: a 409 that says what happened, never a server error. The same
net catches the two ways PostgreSQL aborts a transaction because of another one (``deadlock_detected`` 40P01,
``serialization_failure`` 40001): the services lock rows in id order so that they do not deadlock each other,
but a 409 that asks to send again is the answer if something does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
from django.db import DatabaseError, IntegrityError, transaction

from .errors import Conflict, ServiceError

log = logging.getLogger(__name__)

UNIQUE_VIOLATION = "23505"
ABORTED_FOR_ANOTHER = frozenset({"40P01", "40001"})


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


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else exc
    return getattr(cause, "pgcode", None) if isinstance(cause, psycopg2.Error) else None


def written_meanwhile(exc: BaseException) -> Conflict | None:
    """The 409 for a unique violation no service caught, or a transaction PostgreSQL aborted because of another
    one; None for any other error."""
    constraint = unique_violation(exc)
    if constraint is not None:
        # Logged: a service that meets its own index on every call is a bug this answer must not hide.
        log.warning("unique violation on %s answered with 409", constraint)
        return Conflict(
            "another request recorded the same at the same moment; reload, check what is recorded now, and send "
            "again only what is missing",
            code="conflict.written_meanwhile",
        )
    sqlstate = _sqlstate(exc)
    if sqlstate in ABORTED_FOR_ANOTHER:
        log.warning("transaction undone by PostgreSQL (%s) answered with 409", sqlstate)
        return Conflict(
            "this request and another one waited on each other, and the database undid this one: nothing of "
            "it was written; send it again",
            code="conflict.try_again",
        )
    return None
