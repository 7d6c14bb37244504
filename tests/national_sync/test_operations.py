import pytest
from django.urls import reverse

from config.celery import app
from core.demo import DemoWorld
from core.models import AuditLog
from national_sync import demo, services
from national_sync.models import OutboxRecord
from national_sync.schedule import BEAT_SCHEDULE

from .support import enqueue

pytestmark = pytest.mark.django_db
PAGE = reverse("national_sync:operations")
RETRY = reverse("national_sync:dead-letter-retry")


@pytest.fixture
def queue(platform):
    enqueue(batteries=4, per_battery=2)
    dead = OutboxRecord.objects.order_by("id").first()
    platform.reject = {dead.idempotency_key}
    services.outbox_drain(budget_seconds=2)
    platform.reject = set()
    dead.refresh_from_db()
    return dead


def test_administrator_sees_queue_figures_and_dead_letters(client, admin_user, queue):
    client.force_login(admin_user)
    response = client.get(PAGE)
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats.dead == 1 and stats.pending == 1 and stats.sent_in_window == 6
    assert stats.error_rate == 0
    assert queue.partition_key in response.content.decode()
    assert list(response.context["page"]) == [queue]


def test_retry_button_queues_the_dead_letter_again_and_is_audited(client, admin_user, queue):
    client.force_login(admin_user)
    response = client.post(RETRY, {"id": [queue.pk]})
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.status == "pending" and queue.attempts == 0
    assert AuditLog.objects.filter(action="national_sync.dead_letter_retry").count() == 1


def test_retry_without_a_choice_changes_nothing(client, admin_user, queue):
    client.force_login(admin_user)
    client.post(RETRY, {})
    queue.refresh_from_db()
    assert queue.status == "dead"


def test_dead_letters_export_as_csv(client, admin_user, queue):
    client.force_login(admin_user)
    response = client.get(PAGE, {"export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert queue.idempotency_key in body and "rejected: invalid" in body


def test_other_users_cannot_see_or_retry(client, make_user, make_regulator, queue):
    for user in (make_user(), make_regulator()):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(RETRY, {"id": [queue.pk]}).status_code == 403
    queue.refresh_from_db()
    assert queue.status == "dead"
    client.logout()
    assert client.get(PAGE).status_code == 302


def test_metrics_expose_the_same_figures(client, queue, settings):
    body = client.get("/metrics").content.decode()
    assert 'jjj_national_outbox_records{status="pending"} 1.0' in body
    assert "jjj_national_outbox_dead_letters 1.0" in body
    assert "jjj_national_send_rate_records_per_second" in body
    assert "jjj_national_outbox_oldest_pending_seconds" in body
    settings.NATIONAL_SYNC_METRICS_TOKEN = "scrape"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").status_code == 200


def test_status_api_for_administrators_only(client_for, admin_user, make_user, queue):
    body = client_for(admin_user).get("/api/v1/national-sync/status/").json()
    assert body["dead"] == 1 and body["pending"] == 1
    assert client_for(make_user()).get("/api/v1/national-sync/status/").status_code == 403


def test_beat_schedules_sender_and_reconciliation():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {"national_sync.tasks.outbox_dispatch", "national_sync.tasks.reconcile_daily"} <= tasks

    for name in tasks - {"dashboards.tasks.refresh_materialised_views"}:
        assert name in app.tasks


def test_demo_marks_the_outbox_partly_sent_with_dead_letters():
    enqueue(batteries=20, per_battery=5)
    demo.seed(DemoWorld())
    counts = {s: OutboxRecord.objects.filter(status=s).count() for s in ("sent", "pending", "dead")}
    assert counts["sent"] == 85 and counts["dead"] == 3 and counts["pending"] == 12
    # Order per battery: nothing sent after a record that is still queued or dead.
    for rec in OutboxRecord.objects.exclude(status="sent"):
        assert not OutboxRecord.objects.filter(
            partition_key=rec.partition_key, id__gt=rec.id, status="sent"
        ).exists()
