"""Prometheus metrics of the national sync, read from the database at scrape time (R-SHARE).

A collector in its own registry: every web process reports the same shared figures, so no per-process
counters are needed and any process can be scraped.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from .selectors import queue_stats


class OutboxCollector:
    def collect(self):
        s = queue_stats()
        depth = GaugeMetricFamily(
            "jjj_national_outbox_records", "Outbox records by status", labels=["status"]
        )
        depth.add_metric(["pending"], s.pending)
        depth.add_metric(["dead"], s.dead)
        yield depth
        yield GaugeMetricFamily(
            "jjj_national_outbox_dead_letters", "Dead letters waiting for an operator", value=s.dead
        )
        yield GaugeMetricFamily(
            "jjj_national_outbox_oldest_pending_seconds",
            "Age of the oldest unsent record",
            value=s.oldest_pending_age,
        )
        yield GaugeMetricFamily(
            "jjj_national_send_rate_records_per_second",
            f"Records acknowledged per second over the last {s.window_seconds} s",
            value=s.send_rate,
        )
        yield GaugeMetricFamily(
            "jjj_national_send_error_ratio",
            f"Share of failed batches over the last {s.window_seconds} s",
            value=s.error_rate,
        )
        yield GaugeMetricFamily(
            "jjj_national_send_batches", "Batches sent in the window", value=s.batches_in_window
        )


registry = CollectorRegistry(auto_describe=False)
registry.register(OutboxCollector())
