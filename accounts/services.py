"""Writes for organisations, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.audit import audit_log

from .choices import EnterpriseKind, Region, Role
from .models import ApiToken, Organisation, User
from .uscc import parse_uscc

TOKEN_PREFIX = "jjj"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def organisation_register(
    *,
    uscc: str,
    name_zh: str,
    region: str,
    kinds: list[str] | None = None,
    name_en: str = "",
    is_regulator: bool = False,
    department: str = "",
    address: str = "",
    actor: User | None = None,
) -> Organisation:
    """Register an enterprise or a regulator body; the USCC check character is verified (GB 32100)."""
    code = parse_uscc(uscc).code
    if region not in Region.values:
        raise ValueError(f"unknown region {region!r}; choose one of {', '.join(Region.values)}")
    unknown = [k for k in kinds or [] if k not in EnterpriseKind.values]
    if unknown:
        raise ValueError(f"unknown enterprise kinds: {', '.join(unknown)}")
    org, created = Organisation.objects.update_or_create(
        uscc=code,
        defaults={
            "name_zh": name_zh,
            "name_en": name_en,
            "region": region,
            "kinds": list(kinds or []),
            "is_regulator": is_regulator,
            "department": department,
            "address": address,
        },
    )
    audit_log(actor=actor, action="create" if created else "update", obj=org, changes={"kinds": org.kinds})
    return org


@transaction.atomic
def user_create(
    *, organisation: Organisation | None, username: str, password: str, role: str = Role.OPERATOR, **extra
) -> User:
    user = User.objects.create_user(
        username=username, password=password, organisation=organisation, role=role, **extra
    )
    audit_log(actor=None, action="create", obj=user, changes={"role": role})
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


@transaction.atomic
def api_token_issue(*, owner: User, name: str = "default", actor: User | None = None) -> IssuedToken:
    """Create a token for ``owner``; the raw value is returned once and only its digest is stored. ``actor``
    issues it, by default the owner."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    max_age = settings.API_TOKEN_MAX_AGE
    expires_at = timezone.now() + max_age if max_age else None
    token = ApiToken.objects.create(
        user=owner, name=name, prefix=prefix, digest=token_digest(raw), expires_at=expires_at
    )
    audit_log(
        actor=actor or owner,
        action="issue_token",
        obj=token,
        changes={"name": name, "expires_at": expires_at},
    )
    return IssuedToken(token=token, raw=raw)


def api_tokens_due(*, within: timedelta, now: datetime | None = None) -> QuerySet[ApiToken]:
    """Usable tokens that expire within ``within`` (or never: issued before tokens had a lifetime)."""
    now = now or timezone.now()
    return ApiToken.objects.filter(revoked_at__isnull=True, user__is_active=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now, expires_at__lte=now + within)
    )


@transaction.atomic
def api_token_rotate(
    *, token: ApiToken, actor: User | None = None, grace: timedelta = timedelta(0)
) -> IssuedToken:
    """Replace a token by a new one of the same name; the old one stops working after ``grace`` (at once by
    default), so the enterprise's system can switch over without a gap."""
    issued = api_token_issue(owner=token.user, name=token.name, actor=actor)
    now = timezone.now()
    if grace:
        token.expires_at = min(token.expires_at or now + grace, now + grace)
        token.save(update_fields=["expires_at"])
    else:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    audit_log(
        actor=actor,
        action="rotate_token",
        obj=token,
        changes={"replaced_by": issued.token.prefix, "grace": grace},
    )
    return issued


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log(actor=actor, action="revoke_token", obj=token)
    return token
