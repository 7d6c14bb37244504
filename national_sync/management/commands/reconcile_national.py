"""``manage.py reconcile_national``: compare counts and digests per day and kind with the national
platform and re-queue records it is missing (R-SHARE)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from national_sync.services import reconciliation_run


class Command(BaseCommand):
    help = "Reconcile the outbox with the national platform per day and kind; re-queue what is missing."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="days back from --until (default 7)")
        parser.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
        parser.add_argument("--until", type=date.fromisoformat, help="last day (default today)")
        parser.add_argument("--dry-run", action="store_true", help="report only, re-queue nothing")

    def handle(self, *args, days, since, until, dry_run, **options):
        until = until or timezone.localdate()
        since = since or until - timedelta(days=days - 1)
        if since > until:
            raise CommandError("--since is after --until")
        run = reconciliation_run(since=since, until=until, requeue=not dry_run)
        if run.error:
            raise CommandError(f"platform unreachable: {run.error}")
        self.stdout.write(f"compared {run.days_compared} day/kind pair(s) from {since} to {until}")
        for m in run.mismatches:
            self.stdout.write(
                f"  {m['day']} {m['kind']}: local {m['local']}, upstream {m['upstream']}, "
                f"missing upstream: {m['missing']}, conflicts: {m['conflicts']}"
            )
        verb = "would re-queue" if dry_run else "re-queued"
        total = sum(m["missing"] for m in run.mismatches)
        self.stdout.write(self.style.SUCCESS(f"{verb} {total if dry_run else run.requeued} record(s)"))
