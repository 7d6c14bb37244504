"""Placeholder until the deadline table lands: no deadline known."""


def evaluate(*, kind, actor_kinds, occurred_at, reported_at):
    return None, None
