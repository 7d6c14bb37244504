"""The net under concurrent writes (``core.concurrency``), tried on the errors PostgreSQL really raises: a unique
violation and a deadlock become 409s that say what happened; any other database error stays an error."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from core.concurrency import unique_violation, written_meanwhile
from core.errors import Conflict
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def table():
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE race_probe (id int PRIMARY KEY, note text)")
        cur.execute("INSERT INTO race_probe VALUES (1, 'a'), (2, 'b')")
    yield "race_probe"
    with connection.cursor() as cur:
        cur.execute("DROP TABLE race_probe")


def test_a_unique_violation_is_a_409_naming_what_happened(table):
    with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO race_probe VALUES (1, 'again')")
    assert unique_violation(raised.value) == "race_probe_pkey"
    conflict = written_meanwhile(raised.value)
    assert isinstance(conflict, Conflict) and conflict.code == "conflict.written_meanwhile"


def test_a_deadlock_is_a_409_that_asks_to_send_again(table):
    both_locked = threading.Barrier(2)

    def lock(first: int, second: int):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE race_probe SET note = 'x' WHERE id = %s", [first])
            both_locked.wait(timeout=10)
            cur.execute("UPDATE race_probe SET note = 'y' WHERE id = %s", [second])

    def attempt(first: int, second: int):
        try:
            lock(first, second)
        except DatabaseError as exc:
            return exc
        return None

    errors = [
        result for _, result in race(lambda: attempt(1, 2), lambda: attempt(2, 1)) if result is not None
    ]
    assert len(errors) == 1  # PostgreSQL undoes one of the two and lets the other finish
    conflict = written_meanwhile(errors[0])
    assert isinstance(conflict, Conflict) and conflict.code == "conflict.try_again"


def test_any_other_database_error_is_not_taken_for_a_conflict(table):
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT no_such_column FROM race_probe")
    assert written_meanwhile(raised.value) is None
    assert written_meanwhile(ValueError("not the database")) is None
