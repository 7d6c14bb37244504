"""Outbox for the national traceability platform and its send log (R-SHARE, 四(二)1-2)."""

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from core.tenancy import TenancyRule


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Dead letter")


class OutboxRecord(models.Model):
    """One record to deliver upstream, written in the same transaction as the record itself.

    Append-only but for the delivery columns (status, attempts, last_error, sent_at). The id orders the
    records of one battery (``partition_key``); the idempotency key makes a resend harmless upstream.
    """

    kind = models.CharField(_("kind"), max_length=40)
    object_id = models.CharField(_("record id"), max_length=64)
    partition_key = models.CharField(_("battery code"), max_length=80)
    shard = models.PositiveSmallIntegerField()
    region = models.CharField(_("region"), max_length=3, choices=Region.choices, blank=True)
    record_day = models.DateField(_("day"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=160, unique=True)
    payload = models.JSONField(_("national payload"))
    payload_hash = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    # Operators and regulators only: nothing here belongs to an enterprise's own view.
    tenancy = TenancyRule(owners=(), region="region")

    class Meta:
        verbose_name = _("outbox record")
        verbose_name_plural = _("outbox records")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["shard", "id"], condition=Q(status="pending"), name="outbox_pending_by_shard"
            ),
            models.Index(fields=["shard", "partition_key"], condition=Q(status="dead"), name="outbox_dead"),
            # Every row version costs an entry in each index (no HOT update: status is in index predicates), so
            # the list is short: the exchange feed walks the primary key, and rows arrive in day order, which
            # makes a BRIN index on the day nearly free.
            BrinIndex(fields=["record_day"], name="outbox_day_brin"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class SyncShard(models.Model):
    """A slice of the outbox (by battery code) that one worker at a time holds under an expiring lease.

    A worker killed mid-batch leaves its lease to expire; another worker then takes the shard again and
    resends the unacknowledged batch, which the idempotency keys make harmless.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    failures = models.PositiveIntegerField(default=0)
    last_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sync shard")


class SendAttempt(models.Model):
    """One batch sent upstream: the send rate and error rate of the operations page and /metrics."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    shard = models.PositiveSmallIntegerField()
    records = models.PositiveIntegerField()
    acknowledged = models.PositiveIntegerField(default=0)
    ok = models.BooleanField()
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("send attempt")
        ordering = ["-started_at"]


class ReconciliationRun(models.Model):
    """A comparison of local and upstream counts and digests per day and kind."""

    started_at = models.DateTimeField(default=timezone.now)
    since = models.DateField()
    until = models.DateField()
    days_compared = models.PositiveIntegerField(default=0)
    mismatches = models.JSONField(default=list)
    requeued = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("reconciliation run")
        ordering = ["-started_at"]


class SeenTreeHead(models.Model):
    """A signed tree head of the event ledger as a region's witness received it from the exchange feed, and
    whether it extended every head that region had seen before (R-LIFE, R-SHARE; RFC 9162 §8.2)."""

    witness_region = models.CharField(_("witness region"), max_length=3, choices=Region.choices)
    tree_size = models.BigIntegerField(_("tree size"))
    root_hash = models.CharField(_("root hash"), max_length=64)
    timestamp_ms = models.BigIntegerField(_("signed at (ms)"))
    key_id = models.CharField(_("key id"), max_length=64)
    signature = models.CharField(_("signature"), max_length=256)
    consistent = models.BooleanField(_("extends the heads seen before"))
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)

    tenancy = TenancyRule(region="witness_region")

    class Meta:
        verbose_name = _("witnessed tree head")
        ordering = ["witness_region", "-tree_size", "-seen_at"]
        indexes = [models.Index(fields=["witness_region", "tree_size"])]
        constraints = [
            models.UniqueConstraint(
                fields=["witness_region", "tree_size", "root_hash"], name="one_seen_head_per_region_size_root"
            )
        ]
