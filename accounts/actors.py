"""Who acts. A service told who acts takes ``actor: User``; the acting organisation is ``actor.organisation``.

Where no person is behind a write (demo seeding, an import recorded as an enterprise's, a scheduled job closing a
seller's lot, a correction of the seeded world), the platform acts for the organisation: :func:`platform_actor`
gives a user of that organisation that is never saved, so the trace, the ledger and the audit trail record the
organisation and no user. Services the platform may also call with no organisation at all take
``actor: User | None``; None is the platform on its own.
"""

from __future__ import annotations

from typing import overload

from core.errors import Forbidden

from .models import Organisation, User


@overload
def platform_actor(organisation: Organisation) -> User: ...
@overload
def platform_actor(organisation: None) -> None: ...
def platform_actor(organisation: Organisation | None) -> User | None:
    """The platform acting for ``organisation`` with no person behind it (a user that is never saved); for no
    organisation, None: the platform on its own."""
    if organisation is None:
        return None
    return User(organisation=organisation, username=f"platform:{organisation.uscc}")


def person(actor: User | None) -> User | None:
    """The person behind ``actor``, as the records name them: None for the platform."""
    return actor if actor is not None and actor.pk is not None else None


def organisation_of(actor: User | None) -> Organisation | None:
    """The organisation ``actor`` acts for: None for the platform on its own."""
    return actor.organisation if actor is not None else None


def acting_organisation(actor: User | None, *kinds: str, enterprise: bool = False) -> Organisation:
    """The organisation ``actor`` writes for (R-ROLE), the one check every app makes before a write in an
    organisation's name: refused (403) for the platform on its own or a user of no organisation, for a read-only
    role, and, given ``kinds``, for an organisation of none of them; with ``enterprise``, for a regulator body."""
    organisation = organisation_of(actor)
    if actor is None or organisation is None:
        message = (
            "a platform administrator must act for an organisation"
            if actor is not None and actor.is_superuser
            else "only a user of an organisation does this"
        )
        raise Forbidden(message, field="actor", code="actor.organisation")
    if not actor.can_write:
        raise Forbidden("your role is read-only", field="actor", code="actor.read_only")
    if kinds and not set(kinds) & set(organisation.kinds):
        raise Forbidden(f"only an enterprise of kind {', '.join(kinds)} may do this", field="actor",
                        code="actor.kind")  # fmt: skip
    if enterprise and organisation.is_regulator:
        raise Forbidden("only an enterprise may do this", field="actor", code="actor.not_enterprise")
    return organisation


def acting_for(actor: User | None, organisation: Organisation) -> Organisation:
    """``organisation``, when ``actor`` may write in its name: the platform, a platform administrator, or a user
    of that very organisation. A user of one enterprise never writes in another's name (R-LIFE)."""
    if actor is None or actor.is_superuser or actor.organisation_id == organisation.pk:
        return organisation
    raise Forbidden("you cannot record an event in another organisation's name", field="actor",
                    code="actor.other_organisation")  # fmt: skip


def kind_of(actor: User | None, *kinds: str) -> Organisation | None:
    """The organisation ``actor`` would write for with ``kinds``, or None where it may not: for pages that offer a
    form only to those who may send it (the service still decides)."""
    try:
        return acting_organisation(actor, *kinds)
    except Forbidden:
        return None
