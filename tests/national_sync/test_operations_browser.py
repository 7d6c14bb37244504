import pytest

from national_sync import services
from national_sync.models import OutboxRecord
from tests.factories import UserFactory

from .support import enqueue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_retries_a_dead_letter_from_the_operations_page(
    page, login, live_server, screenshot, platform
):
    admin = UserFactory(is_superuser=True, is_staff=True)
    enqueue(batteries=6, per_battery=3)
    dead = OutboxRecord.objects.order_by("id").first()
    platform.reject = {dead.idempotency_key}
    services.outbox_drain(budget_seconds=2)
    login(admin.username)
    page.goto(f"{live_server.url}/sync/")
    assert page.locator("#stat-dead").inner_text() == "1"
    assert dead.partition_key in page.content()
    screenshot("national_sync_operations")
    page.get_by_role("button", name="重试", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#stat-dead").inner_text() == "0"
    dead.refresh_from_db()
    assert dead.status == "pending"
