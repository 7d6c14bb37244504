"""Reading an app's settings: Django settings first, then the environment, then the app's default."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

Defaults = Mapping[str, tuple[Callable[[Any], Any], Any]]


def setting(defaults: Defaults, name: str) -> Any:
    """``name`` cast by its entry in ``defaults`` (``(cast, default)``); an empty environment value is unset."""
    cast, default = defaults[name]
    if hasattr(settings, name):
        return cast(getattr(settings, name))
    raw = os.environ.get(name)
    return default if raw in (None, "") else cast(raw)
