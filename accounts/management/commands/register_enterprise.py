from django.core.management.base import BaseCommand, CommandError

from accounts.choices import EnterpriseKind, Region
from accounts.services import organisation_register
from accounts.uscc import UsccError


class Command(BaseCommand):
    help = "Register (or update) an enterprise by its unified social credit code."

    def add_arguments(self, parser):
        parser.add_argument("--uscc", required=True)
        parser.add_argument("--name", required=True, help="Chinese name")
        parser.add_argument("--name-en", default="")
        parser.add_argument("--region", required=True, choices=Region.values)
        parser.add_argument(
            "--kind", action="append", required=True, choices=EnterpriseKind.values, help="repeatable"
        )

    def handle(self, *args, **opts):
        try:
            org = organisation_register(
                uscc=opts["uscc"],
                name_zh=opts["name"],
                name_en=opts["name_en"],
                region=opts["region"],
                kinds=opts["kind"],
            )
        except (UsccError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{org.uscc} {org.name_zh} ({', '.join(org.kinds)})"))
