"""Client adapter for the national traceability platform (R-SHARE: "a unified interface").

The national interface is not public. :class:`NationalPlatformClient` is what the sender and the
reconciliation job need; :class:`HttpNationalPlatformClient` speaks the bundled simulator's JSON protocol
(``docs/national_sync.md``). A real endpoint either speaks the same protocol (set NATIONAL_PLATFORM_URL and
NATIONAL_PLATFORM_TOKEN) or gets its own subclass named by NATIONAL_PLATFORM_CLIENT.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import requests
from django.utils.module_loading import import_string

from . import conf


@dataclass(frozen=True)
class OutgoingRecord:
    key: str  # idempotency key: the upstream stores a key once, whatever the number of sends
    kind: str
    partition: str  # battery code
    day: str  # ISO date the record was queued: the unit of reconciliation
    data: dict[str, Any]
    hash: str  # SHA-256 of the canonical JSON of ``data``

    def wire(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "partition": self.partition, "day": self.day,
                "hash": self.hash, "data": self.data}  # fmt: skip


@dataclass
class BatchResult:
    acknowledged: set[str] = field(default_factory=set)  # stored now or already stored before
    rejected: dict[str, str] = field(default_factory=dict)  # permanently refused: key -> reason


@dataclass(frozen=True)
class DaySummary:
    day: date
    kind: str
    count: int
    digest: str


class TransientError(Exception):
    """Worth retrying: timeouts, connection errors, 5xx, 429, an outage."""


class PermanentError(Exception):
    """Retrying will not help (authentication, a malformed request)."""


class NationalPlatformClient(ABC):
    """What an adapter to the national platform must implement."""

    @abstractmethod
    def send_batch(self, records: Sequence[OutgoingRecord]) -> BatchResult:
        """Deliver records in order. Return the keys acknowledged (duplicates count as acknowledged) and
        those refused for good; raise :class:`TransientError` when nothing can be said about the batch."""

    @abstractmethod
    def day_summaries(self, *, since: date, until: date) -> list[DaySummary]:
        """Count and digest (see ``canonical.day_digest``) of stored records per day and kind."""

    @abstractmethod
    def day_keys(self, *, day: date, kind: str) -> dict[str, str]:
        """Keys stored upstream for one day and kind, with their payload hashes."""


class HttpNationalPlatformClient(NationalPlatformClient):
    """JSON over HTTP with a bearer token; one keep-alive session per thread."""

    def __init__(
        self, base_url: str | None = None, *, token: str | None = None, timeout: float | None = None
    ):
        self.base_url = (base_url or conf.platform_url()).rstrip("/")
        self.token = conf.get("NATIONAL_PLATFORM_TOKEN") if token is None else token
        self.timeout = conf.get("NATIONAL_PLATFORM_TIMEOUT") if timeout is None else timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            if self.token:
                session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def _call(self, method: str, path: str, **kw) -> requests.Response:
        try:
            response = self._session().request(method, self.base_url + path, timeout=self.timeout, **kw)
        except requests.Timeout as exc:
            raise TransientError(f"timeout after {self.timeout}s") from exc
        except requests.RequestException as exc:
            self._local.session = None  # a broken keep-alive connection: start afresh
            raise TransientError(f"connection error: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise TransientError(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code in (401, 403, 404):
            raise PermanentError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response

    def send_batch(self, records: Sequence[OutgoingRecord]) -> BatchResult:
        keys = [r.key for r in records]
        batch_key = hashlib.sha256("\n".join(keys).encode()).hexdigest()
        response = self._call(
            "POST",
            "/api/v1/records/batch",
            json={"records": [r.wire() for r in records]},
            headers={"Idempotency-Key": batch_key},
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientError(f"HTTP {response.status_code}: unreadable answer") from exc
        result = BatchResult()
        sent = set(keys)
        for ack in body.get("acks", []):
            if ack.get("key") in sent:  # a duplicated or unknown acknowledgement changes nothing
                result.acknowledged.add(ack["key"])
        for item in body.get("rejected", []):
            if item.get("key") in sent:
                result.rejected[item["key"]] = str(item.get("error", "rejected"))[:500]
        if response.status_code >= 400 and not result.rejected:
            raise PermanentError(f"HTTP {response.status_code}: {response.text[:200]}")
        return result

    def day_summaries(self, *, since: date, until: date) -> list[DaySummary]:
        response = self._call(
            "GET", "/api/v1/summary", params={"since": since.isoformat(), "until": until.isoformat()}
        )
        return [
            DaySummary(
                day=date.fromisoformat(row["day"]), kind=row["kind"], count=row["count"], digest=row["digest"]
            )
            for row in response.json()["days"]
        ]

    def day_keys(self, *, day: date, kind: str) -> dict[str, str]:
        response = self._call("GET", "/api/v1/keys", params={"day": day.isoformat(), "kind": kind})
        return {row["key"]: row["hash"] for row in response.json()["keys"]}


_client: NationalPlatformClient | None = None


def get_client() -> NationalPlatformClient:
    """The configured adapter (NATIONAL_PLATFORM_CLIENT), one per process."""
    global _client
    if _client is None:
        _client = import_string(conf.get("NATIONAL_PLATFORM_CLIENT"))()
    return _client


def set_client(client: NationalPlatformClient | None) -> None:
    """Swap the adapter (tests, or a deployment that builds its own at start-up)."""
    global _client
    _client = client
