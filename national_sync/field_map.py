"""The national field mapping, in one place: ``data/national_fields.json`` (R-SHARE).

Turns records that the traceability services wrote (model instances) into outbox rows: the national
payload, the partition key (battery code) that keeps order per battery, and the region used by the
three-region exchange feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Model, prefetch_related_objects

MAPPING_FILE = Path(__file__).resolve().parent / "data" / "national_fields.json"


@dataclass(frozen=True)
class MappedRecord:
    kind: str
    object_id: str
    partition_key: str
    region: str
    data: dict[str, Any]

    @classmethod
    def of(cls, kind: str, record: Any, *, partition: Any, region: Any, data: dict[str, Any]) -> MappedRecord:
        """One record's outbox row; a record with no partition (battery) is ordered on its own."""
        object_id = str(getattr(record, "pk", None) or getattr(record, "id", ""))
        return cls(
            kind=kind,
            object_id=object_id,
            partition_key=str(partition) if partition else f"{kind}:{object_id}",
            region=str(region or "")[:3],
            data=data,
        )


@cache
def mapping() -> dict[str, Any]:
    return json.loads(MAPPING_FILE.read_text(encoding="utf-8"))


def kind_spec(kind: str) -> dict[str, Any] | None:
    return mapping()["kinds"].get(kind)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def resolve(record: Any, path: str | None) -> Any:
    """Follow ``a.b.c`` on a record; a missing attribute or a null link gives ``None``."""
    if not path:
        return None
    value = record
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _relations(spec: dict[str, Any]) -> list[str]:
    paths = [f["source"] for f in spec["fields"]] + [spec.get("partition") or "", spec.get("region") or ""]
    return sorted({"__".join(p.split(".")[:-1]) for p in paths if p and "." in p})


def _prefetch(records: list[Any], relations: list[str]) -> None:
    """One query per relation for the whole batch instead of one per record (bulk binding uploads)."""
    models = [r for r in records if isinstance(r, Model)]
    for relation in relations:
        try:
            prefetch_related_objects(models, relation)
        except (AttributeError, ValueError, TypeError):
            continue  # the record kind has no such relation: the field maps to null


def map_records(kind: str, records: list[Any]) -> list[MappedRecord]:
    spec = kind_spec(kind)
    if spec is not None:
        _prefetch(records, _relations(spec))
    out = []
    for record in records:
        if spec is None:
            data = {
                f.attname: _jsonable(getattr(record, f.attname, None)) for f in record._meta.concrete_fields
            }
            partition, region = None, getattr(record, "region", "")
        else:
            data = {f["name"]: _jsonable(resolve(record, f["source"])) for f in spec["fields"]}
            partition = resolve(record, spec.get("partition"))
            region = resolve(record, spec.get("region"))
        out.append(MappedRecord.of(kind, record, partition=partition, region=region, data=data))
    return out
