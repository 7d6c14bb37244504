"""Two writers at the same moment: each call in its own thread with its own database connection, released
together by a barrier. A race is run several times (``ROUNDS``), since the scheduler decides who reaches the
database first; tests using it need ``django_db(transaction=True, serialized_rollback=True)``."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

from core.errors import ServiceError

ROUNDS = 4


def race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run the calls at once, one thread and connection each; ("ok", result) or ("refused", error) per call.
    Anything else a call raises fails the test: a unique index or a deadlock is not an answer."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object]] = [("unset", None)] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except ServiceError as exc:
            outcomes[index] = ("refused", exc)
        except Exception as exc:
            outcomes[index] = ("crashed", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    crashed = [repr(o[1]) for o in outcomes if o[0] not in ("ok", "refused")]
    assert not crashed, crashed
    return outcomes


def outcome_kinds(outcomes) -> list[str]:
    return sorted(kind for kind, _ in outcomes)
