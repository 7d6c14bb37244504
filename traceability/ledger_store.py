"""Placeholder until the Merkle ledger lands: appends nothing."""


def ledger_append(events) -> None:
    return None
