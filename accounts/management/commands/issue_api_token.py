from django.core.management.base import BaseCommand, CommandError

from accounts.choices import Role
from accounts.models import Organisation, User
from accounts.services import api_token_issue, user_create


class Command(BaseCommand):
    help = "Issue an API token for a user of an organisation and print it (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--uscc", required=True)
        parser.add_argument(
            "--user", help="username; default: the organisation's API user, created if needed"
        )
        parser.add_argument("--name", default="cli")

    def handle(self, *args, **opts):
        org = Organisation.objects.filter(uscc=opts["uscc"].upper()).first()
        if org is None:
            raise CommandError(f"no organisation with USCC {opts['uscc']}")
        username = opts["user"] or f"api-{org.uscc.lower()}"
        user = User.objects.filter(username=username).first()
        if user is None:
            if opts["user"]:
                raise CommandError(f"no user {username!r}")
            user = user_create(organisation=org, username=username, password=None, role=Role.OPERATOR)
        elif user.organisation_id != org.pk:
            raise CommandError(f"user {username!r} does not belong to {org.uscc}")
        issued = api_token_issue(owner=user, name=opts["name"])
        self.stdout.write(issued.raw)
