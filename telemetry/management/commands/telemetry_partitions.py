"""Create the coming months' sample partitions and detach old ones (also run daily by Celery beat)."""

from django.core.management.base import BaseCommand

from telemetry import conf, services


class Command(BaseCommand):
    help = "Create upcoming monthly partitions of telemetry samples; detach those older than --keep-months."

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=None)
        parser.add_argument("--keep-months", type=int, default=None, help="0 keeps every partition attached")

    def handle(self, *args, **opts):
        ahead = conf.get("TELEMETRY_PARTITIONS_AHEAD") if opts["ahead"] is None else opts["ahead"]
        keep = (
            conf.get("TELEMETRY_PARTITIONS_KEEP_MONTHS")
            if opts["keep_months"] is None
            else opts["keep_months"]
        )
        result = services.partitions_maintain(ahead=ahead, keep_months=keep)
        self.stdout.write(
            f"attached: {', '.join(result['created'])}; detached: {', '.join(result['detached']) or '-'}"
        )
