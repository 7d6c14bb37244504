"""Navigation registry: each app registers its menu entries in ``AppConfig.ready``; the menu shows those
that fit the user's role."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.tenancy import scope_of

PUBLIC, ENTERPRISE, REGULATOR, ADMIN = "public", "enterprise", "regulator", "admin"


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    audience: tuple[str, ...] = (ENTERPRISE, REGULATOR, ADMIN)
    kinds: tuple[str, ...] = ()  # enterprise kinds that see it; empty = all
    order: int = 100
    group: str = field(default="")


_items: list[NavItem] = []


def register(*items: NavItem) -> None:
    _items.extend(items)


def items_for(user) -> list[dict]:
    scope = scope_of(user)
    if scope.superuser:
        audience = ADMIN
    elif scope.regulator:
        audience = REGULATOR
    elif scope.authenticated:
        audience = ENTERPRISE
    else:
        audience = PUBLIC
    visible = []
    for item in sorted(_items, key=lambda i: i.order):
        if audience not in item.audience and PUBLIC not in item.audience:
            continue
        if audience == ENTERPRISE and item.kinds and not set(item.kinds) & set(scope.kinds):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        visible.append({"label": item.label, "url": url, "group": item.group, "url_name": item.url_name})
    return visible


# Menu sections by the app namespace of an entry's URL name: a section with several entries becomes a dropdown.
SECTIONS = {
    "traceability": _("Traceability"),
    "recycling_network": _("Recycling network"),
    "cascade_use": _("Cascade use and regeneration"),
    "regeneration": _("Cascade use and regeneration"),
    "valuation": _("Residual value"),
    "alliance": _("Alliance"),
    "dashboards": _("Supervision"),
    "national_sync": _("Operations"),
    "": _("Operations"),
}


def menu_for(user) -> list[dict]:
    """The navigation bar: entries grouped into sections, in the order of their first entry."""
    sections: dict[str, dict] = {}
    for item in items_for(user):
        namespace = item["url_name"].split(":", 1)[0] if ":" in item["url_name"] else ""
        label = SECTIONS.get(namespace, item["label"])
        section = sections.setdefault(str(label), {"label": label, "children": []})
        section["children"].append(item)
    menu = []
    for section in sections.values():
        children = section["children"]
        menu.append(children[0] if len(children) == 1 else {"label": section["label"], "children": children})
    return menu
