"""Tenancy rules, in one place. Every app filters querysets and checks objects through this module.

- An enterprise user sees and writes only rows its organisation owns (the model's ``tenancy.owners`` paths)
  and batteries in its custody.
- A regulator reads everything in its region and, read-only, the other two JJJ regions; it writes (reviews,
  findings) only where the row's ``tenancy.region`` is its own region.
- The public (anonymous) sees only rows matching the model's ``tenancy.public`` filter (published service
  points, disclosed violations); nothing else.
- A platform administrator (superuser) sees and writes everything.

A model opts in with a class attribute::

    tenancy = TenancyRule(owners=("custodian", "maker"), region="region")

``owners`` are ORM paths to an ``accounts.Organisation`` (single-valued paths keep queries join-free), or
callables ``org_id -> Q`` for anything multi-valued (use ``Exists`` there to avoid duplicate rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .errors import Forbidden

OwnerPath = str | Callable[[int], Q]


@dataclass(frozen=True)
class TenancyRule:
    owners: tuple[OwnerPath, ...] = ()
    region: str | None = None
    public: Q | None = None
    regulator_reads: bool = True
    extra_readers: tuple[OwnerPath, ...] = field(default=())


@dataclass(frozen=True)
class Scope:
    """Who is asking, reduced to what the rules need."""

    authenticated: bool
    superuser: bool = False
    org_id: int | None = None
    regulator: bool = False
    region: str | None = None
    read_only: bool = False
    kinds: tuple[str, ...] = ()

    @property
    def enterprise(self) -> bool:
        return self.authenticated and not self.regulator and not self.superuser and self.org_id is not None


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope(authenticated=False)
    if user.is_superuser:
        return Scope(authenticated=True, superuser=True, org_id=user.organisation_id)
    org = user.organisation
    if org is None:
        return Scope(authenticated=True)
    return Scope(
        authenticated=True,
        org_id=org.pk,
        regulator=org.is_regulator,
        region=org.region,
        read_only=user.role == "viewer",
        kinds=tuple(org.kinds),
    )


def rule_of(model: type[Model]) -> TenancyRule:
    rule = getattr(model, "tenancy", None)
    if rule is None:
        raise TypeError(f"{model.__name__} declares no tenancy rule")
    return rule


def _owner_q(paths: Iterable[OwnerPath], org_id: int) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= path(org_id) if callable(path) else Q(**{path: org_id})
    return q


def visible(qs: QuerySet, user) -> QuerySet:
    """Rows this user may read."""
    rule, scope = rule_of(qs.model), scope_of(user)
    if scope.superuser:
        return qs
    if not scope.authenticated or scope.org_id is None:
        return qs.filter(rule.public) if rule.public is not None else qs.none()
    if scope.regulator:
        return qs if rule.regulator_reads else qs.filter(rule.public or Q(pk__in=[]))
    if rule.public is not None and not rule.public:
        return qs  # public=Q() opens every row; OR-ing an empty Q would be a no-op
    q = _owner_q(rule.owners + rule.extra_readers, scope.org_id)
    if rule.public is not None:
        q |= rule.public
    return qs.filter(q)


def editable(qs: QuerySet, user) -> QuerySet:
    """Rows this user may change."""
    rule, scope = rule_of(qs.model), scope_of(user)
    if scope.superuser:
        return qs
    if not scope.authenticated or scope.org_id is None or scope.read_only:
        return qs.none()
    if scope.regulator:
        if rule.region is None:
            return qs.none()
        return qs.filter(**{rule.region: scope.region})
    return qs.filter(_owner_q(rule.owners, scope.org_id))


def get_visible_or_404(qs: QuerySet, user, **lookup) -> Model:
    """Fetch a row the user may read; another tenant's row is indistinguishable from a missing one."""
    obj = visible(qs, user).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def can_read(user, obj: Model) -> bool:
    return visible(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def can_write(user, obj: Model) -> bool:
    return editable(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def writable_pks(user, rows: Iterable[Model]) -> set:
    """The primary keys among ``rows`` (of one model) that ``user`` may change: ``can_write`` for a page of
    rows in one query."""
    rows = list(rows)
    if not rows:
        return set()
    qs = type(rows[0])._default_manager.filter(pk__in=[r.pk for r in rows])
    return set(editable(qs, user).values_list("pk", flat=True))


def require_write(user, obj: Model) -> None:
    """Raise 404 for rows the user cannot see and 403 for rows it can see but not change."""
    if can_write(user, obj):
        return
    if not can_read(user, obj):
        raise Http404
    raise Forbidden("read-only: this record belongs to another organisation or region")


def require_regulator(user, *, region: str | None = None, write: bool = False):
    """The acting regulator body; with ``write`` its region must be ``region``."""
    scope = scope_of(user)
    if scope.superuser:
        return user.organisation
    if not scope.regulator:
        raise Forbidden("regulators only")
    if write and (scope.read_only or (region is not None and scope.region != region)):
        raise Forbidden("read-only: another region's records are shared for reading only")
    return user.organisation
