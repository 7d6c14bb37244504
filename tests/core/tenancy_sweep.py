"""What the API's and the pages' tenancy matrices share: the callers over the demo world, and the check of the
detail views of one model (a hidden record answers 403 or 404, a readable one opens)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.choices import EnterpriseKind
from accounts.management.commands.seed_demo import DEMO_APPS
from accounts.models import Organisation
from core import tenancy
from core.demo import DemoWorld
from tests.factories import OrganisationFactory, UserFactory


def demo_users() -> list[tuple[str, object]]:
    """The demo world, two tenants of every enterprise kind (the demo's, completed by a fresh organisation
    that owns nothing), and the regulators of Beijing and Tianjin; (label, user) each."""
    world = DemoWorld()
    for app in DEMO_APPS:
        importlib.import_module(f"{app}.demo").seed(world)
    users: list[tuple[str, object]] = []
    for kind, _ in EnterpriseKind.choices:
        for org in Organisation.objects.filter(kinds__contains=[kind]).order_by("pk")[:1]:
            users.append((f"{kind}:{org.name_en}", UserFactory(organisation=org)))
        users.append(
            (f"{kind}:fresh", UserFactory(organisation=OrganisationFactory(kinds=[kind], region="HB")))
        )
    for region in ("BJ", "TJ"):
        regulator = Organisation.objects.filter(is_regulator=True, region=region).order_by("pk").first()
        users.append((f"regulator:{region}", UserFactory(organisation=regulator)))
    return users


@dataclass
class DetailSweep:
    """Detail views tried for records their caller may not read (``refused``) and for one it may (``opened``)."""

    samples: int
    leaks: list[str] = field(default_factory=list)
    refused: int = 0
    opened: int = 0

    def check(self, *, label: str, client, user, model, url_of: Callable[[object], str]) -> None:
        manager = model._default_manager
        readable = tenancy.visible(manager.all(), user)
        for row in manager.exclude(pk__in=readable.values("pk")).order_by("pk")[: self.samples]:
            url = url_of(row)
            status = client.get(url).status_code
            self.refused += status in (403, 404)
            if status == 200:
                self.leaks.append(f"{label}: GET {url} answered 200 for a {model.__name__} it may not read")
        own = readable.order_by("pk").first()
        if own is not None:
            self.opened += client.get(url_of(own)).status_code == 200
