"""Service-point review workflow (R-NET, R-PUBLIC): draft → submitted → published ↔ suspended → closed.

Pure module: which action leads from which status to which, and who may take it. The regulator of the
point's region reviews; the registering automaker or the operator submits and may close its own point.
"""

from __future__ import annotations

OWNER, REGULATOR = "owner", "regulator"

# action -> (statuses it may follow, status it leads to, who may take it)
ACTIONS: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "submit": (frozenset({"draft"}), "submitted", frozenset({OWNER})),
    "publish": (frozenset({"submitted"}), "published", frozenset({REGULATOR})),
    "return": (frozenset({"submitted"}), "draft", frozenset({REGULATOR})),
    "suspend": (frozenset({"published"}), "suspended", frozenset({REGULATOR})),
    "reinstate": (frozenset({"suspended"}), "published", frozenset({REGULATOR})),
    "close": (
        frozenset({"draft", "submitted", "published", "suspended"}),
        "closed",
        frozenset({OWNER, REGULATOR}),
    ),
}


class IllegalReview(ValueError):
    pass


def review_step(status: str, action: str, role: str) -> str:
    """The status after ``role`` takes ``action`` on a point in ``status``; raises :class:`IllegalReview`."""
    if action not in ACTIONS:
        raise IllegalReview(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    allowed, target, roles = ACTIONS[action]
    if role not in roles:
        who = " or ".join(sorted(roles))
        raise IllegalReview(f"only the {who} may {action} a service point")
    if status not in allowed:
        options = ", ".join(sorted(allowed))
        raise IllegalReview(f"cannot {action} a point that is {status}; allowed from: {options}")
    return target


def actions_for(status: str, role: str) -> list[str]:
    return [a for a, (allowed, _, roles) in ACTIONS.items() if status in allowed and role in roles]
