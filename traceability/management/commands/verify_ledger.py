"""Recompute the whole event ledger and name every event altered, deleted or inserted out of order (R-LIFE)."""

from django.core.management.base import BaseCommand, CommandError

from traceability.ledger_store import verify


class Command(BaseCommand):
    help = (
        "Recompute every ledger leaf, node and signed tree head from the event table; exit 1 on any mismatch."
    )

    def handle(self, *args, **options):
        report = verify()
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(problem.message))
        summary = f"{report.tree_size} leaves, {report.events} events, {report.heads_checked} signed tree heads checked"
        if not report.ok:
            raise CommandError(f"ledger verification FAILED: {len(report.problems)} problem(s); {summary}")
        self.stdout.write(self.style.SUCCESS(f"ledger OK: {summary}"))
