from django.contrib import admin

from .models import OutboxRecord, ReconciliationRun, SendAttempt, SyncShard


@admin.register(OutboxRecord)
class OutboxRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "partition_key", "region", "record_day", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "region")
    search_fields = ("partition_key", "idempotency_key")
    readonly_fields = [f.name for f in OutboxRecord._meta.fields]


@admin.register(SyncShard)
class SyncShardAdmin(admin.ModelAdmin):
    list_display = ("id", "lease_owner", "lease_expires_at", "next_attempt_at", "failures", "last_claimed_at")


@admin.register(SendAttempt)
class SendAttemptAdmin(admin.ModelAdmin):
    list_display = ("started_at", "shard", "records", "acknowledged", "ok", "duration_ms")
    list_filter = ("ok",)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "since", "until", "days_compared", "requeued", "conflicts", "error")
