"""Audit trail: every write through a service leaves one row (who, what, when, from where)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass
class RequestContext:
    user: Any = None
    ip: str | None = None
    request_id: str = ""


_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("audit_ctx", default=None)


def set_request_context(ctx: RequestContext | None) -> contextvars.Token:
    return _context.set(ctx)


def reset_request_context(token: contextvars.Token) -> None:
    _context.reset(token)


def audit_log(
    *,
    actor=None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: dict | None = None,
) -> None:
    """Record a write. ``actor`` defaults to the user of the current request, if any."""
    from .models import AuditLog  # noqa: PLC0415 - models import this module's callers

    ctx = _context.get()
    if actor is None and ctx is not None and getattr(ctx.user, "is_authenticated", False):
        actor = ctx.user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        organisation_id=getattr(actor, "organisation_id", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=_jsonable(changes or {}),
        ip_address=ctx.ip if ctx else None,
        request_id=ctx.request_id if ctx else "",
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
