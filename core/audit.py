"""Audit trail: every write through a service leaves one row (who, what, when, from where)."""

from __future__ import annotations

import contextvars
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class RequestContext:
    user: Any = None
    ip: str | None = None
    request_id: str = ""


_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("audit_ctx", default=None)


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_proxies() -> tuple[IpNetwork, ...]:
    """``TRUSTED_PROXIES``: addresses or networks (``10.0.0.5``, ``10.0.0.0/8``) of our own reverse proxies."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def address_in(address: str | None, entries) -> bool:
    """Whether ``address`` is an IP address inside one of ``entries`` (addresses or CIDR networks)."""
    ip = _ip(address)
    return ip is not None and any(ip in net for net in _networks(tuple(entries)))


def client_ip(request) -> str | None:
    """The client's address. ``X-Forwarded-For`` is believed only when the peer is one of our proxies, and
    then read from the right, skipping our proxies: the first other hop is the client. Anything that is not
    an IP address is ignored, so a forged header can neither spoof an address nor break a write."""
    peer = _ip(request.META.get("REMOTE_ADDR"))
    proxies = trusted_proxies()
    if peer is None or not any(peer in net for net in proxies):
        return str(peer) if peer else None
    hops = [_ip(hop) for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if hop is None:
            break  # the chain is broken at a forged entry: nothing left of it can be trusted
        if not any(hop in net for net in proxies):
            return str(hop)
    return str(peer)


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
        ip_address=str(_ip(ctx.ip)) if ctx and _ip(ctx.ip) else None,  # never fail a write over it
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
