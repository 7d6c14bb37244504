"""Prometheus metrics of the GB/T 32960 gateways, read at scrape time from the status each gateway process
publishes to Redis every few seconds (the web process and the gateway are separate processes)."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .selectors import gateway_status


class GatewayCollector:
    def collect(self):
        gateways = gateway_status()
        connections = GaugeMetricFamily(
            "jjj_telemetry_connections", "Open GB/T 32960 connections", labels=["gateway"]
        )
        rate = GaugeMetricFamily(
            "jjj_telemetry_frames_per_second", "Frames received per second", labels=["gateway"]
        )
        frames = CounterMetricFamily(
            "jjj_telemetry_frames", "Frames received by command", labels=["gateway", "command"]
        )
        errors = CounterMetricFamily("jjj_telemetry_errors", "Faults by kind", labels=["gateway", "kind"])
        samples = CounterMetricFamily(
            "jjj_telemetry_samples", "Samples stored and acknowledged", labels=["gateway"]
        )
        for g in gateways:
            name = g["name"]
            connections.add_metric([name], g.get("connections", 0))
            rate.add_metric([name], g.get("frames_per_second", 0))
            samples.add_metric([name], g.get("samples", 0))
            for command, n in sorted(g.get("frames", {}).items()):
                frames.add_metric([name, command], n)
            for kind, n in sorted(g.get("errors", {}).items()):
                errors.add_metric([name, kind], n)
        yield from (connections, rate, frames, errors, samples)
