import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Organisation
from accounts.services import token_digest

pytestmark = pytest.mark.django_db


def test_register_enterprise_and_issue_token(capsys):
    call_command(
        "register_enterprise", "--uscc", "91110108551385082Q", "--name", "测试汽车", "--region", "BJ",
        "--kind", "automaker",
    )  # fmt: skip
    org = Organisation.objects.get(uscc="91110108551385082Q")
    assert org.kinds == ["automaker"]
    capsys.readouterr()
    call_command("issue_api_token", "--uscc", org.uscc)
    raw = capsys.readouterr().out.strip()
    assert ApiToken.objects.filter(digest=token_digest(raw), user__organisation=org).exists()


def test_register_enterprise_rejects_bad_check_character():
    with pytest.raises(CommandError, match="check character"):
        call_command(
            "register_enterprise", "--uscc", "91110108551385082A", "--name", "x", "--region", "BJ",
            "--kind", "automaker",
        )  # fmt: skip


def test_issue_token_for_unknown_organisation():
    with pytest.raises(CommandError, match="no organisation"):
        call_command("issue_api_token", "--uscc", "91110108551385082Q")
