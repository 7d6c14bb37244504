"""Who acts: every public service function told who acts takes a keyword-only ``actor: User`` (or ``User | None``,
None being the platform on its own), never an ``actor_user`` or a ``user`` beside it nor an organisation as the
actor (``accounts.actors``)."""

import importlib
import importlib.util
import inspect
import pkgutil
import types
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from accounts.models import User

ACTOR_ANNOTATIONS = {"User", "User | None"}


def _annotation(value) -> str:
    if isinstance(value, str):
        return value.replace("Optional[User]", "User | None")
    if value is User:
        return "User"
    if value == (User | None):
        return "User | None"
    return repr(value)


def violations(module: types.ModuleType) -> list[str]:
    """The public functions defined in ``module`` that name the acting party otherwise than ``actor: User``."""
    found = []
    for name, fn in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
            continue
        for param in inspect.signature(fn).parameters.values():
            where = f"{module.__name__}.{name}({param.name})"
            if param.name in ("user", "actor_user") or param.name.endswith("_user"):
                found.append(f"{where}: the acting party is `actor: User`")
            elif param.name == "actor":
                if param.kind is not inspect.Parameter.KEYWORD_ONLY:
                    found.append(f"{where}: `actor` is keyword-only")
                if _annotation(param.annotation) not in ACTOR_ANNOTATIONS:
                    found.append(f"{where}: `actor` is annotated `User` (or `User | None`)")
    return found


def service_modules() -> list[str]:
    """Every project app's ``services`` module, or each module of its ``services`` package."""
    root = Path(settings.BASE_DIR).resolve()
    names = []
    for config in apps.get_app_configs():
        if root not in Path(config.path).resolve().parents:
            continue
        spec = importlib.util.find_spec(f"{config.name}.services")
        if spec is None:
            continue
        names.append(spec.name)
        if spec.submodule_search_locations:
            names += [f"{spec.name}.{m.name}" for m in pkgutil.iter_modules(spec.submodule_search_locations)]
    return sorted(names)


def test_the_walk_finds_the_services_of_every_app():
    modules = service_modules()
    assert {"traceability.services.events", "alliance.services.market", "cascade_use.services"} <= set(
        modules
    )
    assert "recycling_network.services.intake" in modules


@pytest.mark.parametrize("name", service_modules())
def test_services_name_the_acting_party_actor_user(name):
    assert violations(importlib.import_module(name)) == []


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("example.services")
    module.__dict__["User"] = User
    exec(compile(source, "example/services.py", "exec"), module.__dict__)
    return module


def test_the_check_refuses_each_other_way_of_naming_who_acts():
    module = _module(
        "from __future__ import annotations\n"
        "def with_actor_user(*, actor_user: User): ...\n"
        "def with_user(*, user: User): ...\n"
        "def with_reviewer_user(*, reviewer_user: User | None = None): ...\n"
        "def organisation_as_actor(*, actor: Organisation): ...\n"
        "def positional_actor(actor: User): ...\n"
        "def unannotated_actor(*, actor): ...\n"
    )
    found = violations(module)
    assert len(found) == 6
    for name in ("with_actor_user", "with_user", "with_reviewer_user", "organisation_as_actor", "positional_actor",
                 "unannotated_actor"):  # fmt: skip
        assert any(f".{name}(" in line for line in found), name


def test_the_check_accepts_the_convention_and_ignores_private_helpers():
    module = _module(
        "from __future__ import annotations\n"
        "def thing_do(*, actor: User, thing: int): ...\n"
        "def thing_import(*, actor: User | None, rows: list): ...\n"
        "def thing_count(*, region: str): ...\n"
        "def _thing_write(thing, *, org, user): ...\n"
    )
    assert violations(module) == []
