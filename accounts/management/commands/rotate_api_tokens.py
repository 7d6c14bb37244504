from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken
from accounts.services import api_token_rotate, api_tokens_due


class Command(BaseCommand):
    help = (
        "Replace API tokens that expire soon (or never) by new ones and print the new values, shown only once: "
        "one line per token, 'username<TAB>name<TAB>old prefix<TAB>new token'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--within-days", type=int, default=14, help="rotate tokens expiring this soon")
        parser.add_argument("--prefix", action="append", default=[], help="rotate this token (repeatable)")
        parser.add_argument("--user", help="only this user's tokens")
        parser.add_argument(
            "--grace-hours",
            type=int,
            default=0,
            help="keep the old token working this long (default: revoke)",
        )
        parser.add_argument("--dry-run", action="store_true", help="list what would be rotated")

    def handle(self, *args, **opts):
        if opts["prefix"]:
            tokens = ApiToken.objects.filter(prefix__in=opts["prefix"], revoked_at__isnull=True)
            missing = set(opts["prefix"]) - set(tokens.values_list("prefix", flat=True))
            if missing:
                raise CommandError(f"no usable token with prefix {', '.join(sorted(missing))}")
        else:
            tokens = api_tokens_due(within=timedelta(days=opts["within_days"]))
        if opts["user"]:
            tokens = tokens.filter(user__username=opts["user"])
        grace = timedelta(hours=opts["grace_hours"])
        count = 0
        for token in tokens.select_related("user").order_by("pk"):
            count += 1
            if opts["dry_run"]:
                self.stdout.write(
                    f"{token.user.username}\t{token.name}\t{token.prefix}\t(expires {token.expires_at})"
                )
                continue
            issued = api_token_rotate(token=token, grace=grace)
            self.stdout.write(f"{token.user.username}\t{token.name}\t{token.prefix}\t{issued.raw}")
        self.stderr.write(f"{count} token(s) {'due' if opts['dry_run'] else 'rotated'}")
