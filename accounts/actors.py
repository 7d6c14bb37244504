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


def acting_organisation(actor: User) -> Organisation:
    """The organisation ``actor`` acts for, for a write only an organisation makes; refused for a user of none."""
    if actor.organisation is None:
        raise Forbidden("only a user of an organisation does this", field="actor", code="actor.organisation")
    return actor.organisation
