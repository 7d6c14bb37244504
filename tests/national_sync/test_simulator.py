from datetime import date

import pytest
import requests

from national_sync.canonical import day_digest, payload_hash
from national_sync.client import HttpNationalPlatformClient, OutgoingRecord, PermanentError, TransientError

pytestmark = pytest.mark.django_db


def rec(n, partition="BAT1", day="2026-04-01", **data):
    data = {"seq": n, **data}
    return OutgoingRecord(key=f"K{n}", kind="lifecycle_event", partition=partition, day=day, data=data,
                          hash=payload_hash(data))  # fmt: skip


def client(sim, **kw):
    return HttpNationalPlatformClient(sim.url, **{"token": "", "timeout": 5, **kw})


def test_a_batch_is_stored_once_per_key_and_resends_are_acknowledged(simulator):
    c = client(simulator)
    assert c.send_batch([rec(1), rec(2)]).acknowledged == {"K1", "K2"}
    assert c.send_batch([rec(2), rec(3)]).acknowledged == {"K2", "K3"}
    stats = simulator.store.stats()
    assert stats["records"] == 3 and stats["duplicates_absorbed"] == 1


def test_a_bad_record_is_refused_and_holds_back_its_battery(simulator):
    bad = OutgoingRecord(key="K9", kind="x", partition="BAT1", day="2026-04-01", data={"a": 1}, hash="0" * 64)
    result = client(simulator).send_batch([bad, rec(10), rec(11, partition="BAT2")])
    assert result.rejected == {"K9": "hash does not match data"}
    assert result.acknowledged == {"K11"}  # K10 follows the refused record of BAT1


def test_token_is_required_when_configured(simulator):
    simulator.token = "s3cret"
    with pytest.raises(PermanentError):
        client(simulator).send_batch([rec(1)])
    assert client(simulator, token="s3cret").send_batch([rec(1)]).acknowledged == {"K1"}


def test_outage_and_errors_are_transient(simulator):
    simulator.faults.update({"outage_seconds": 60})
    with pytest.raises(TransientError, match="503"):
        client(simulator).send_batch([rec(1)])
    simulator.faults.update({"outage_until": 0, "error_rate": 1})
    with pytest.raises(TransientError, match="injected"):
        client(simulator).send_batch([rec(1)])


def test_a_timeout_after_storing_is_transient_and_the_resend_is_a_duplicate(simulator):
    simulator.faults.update({"timeout_rate": 1, "hang_seconds": 1})
    with pytest.raises(TransientError, match="timeout"):
        client(simulator, timeout=0.2).send_batch([rec(1)])
    simulator.faults.update({"timeout_rate": 0})
    assert client(simulator).send_batch([rec(1)]).acknowledged == {"K1"}
    assert simulator.store.stats()["records"] == 1


def test_duplicate_acknowledgements_are_harmless(simulator):
    simulator.faults.update({"duplicate_ack_rate": 1})
    assert client(simulator).send_batch([rec(1), rec(2)]).acknowledged == {"K1", "K2"}


def test_summary_digest_matches_the_canonical_digest(simulator):
    c = client(simulator)
    records = [rec(1), rec(2), rec(3, day="2026-04-02")]
    c.send_batch(records)
    summaries = {(s.day, s.kind): s for s in c.day_summaries(since=date(2026, 4, 1), until=date(2026, 4, 30))}
    first = summaries[(date(2026, 4, 1), "lifecycle_event")]
    assert first.count == 2 and first.digest == day_digest([(r.key, r.hash) for r in records[:2]])
    assert c.day_keys(day=date(2026, 4, 2), kind="lifecycle_event") == {"K3": records[2].hash}


def test_admin_endpoint_sets_faults_and_rejects_unknown_ones(simulator):
    r = requests.post(f"{simulator.url}/admin/faults", json={"error_rate": 0.3, "delay_max": 0.01}, timeout=5)
    assert r.status_code == 200 and r.json()["error_rate"] == 0.3
    assert requests.post(f"{simulator.url}/admin/faults", json={"nonsense": 1}, timeout=5).status_code == 400
    simulator.admin_token = "adm"
    assert requests.get(f"{simulator.url}/admin/stats", timeout=5).status_code == 401
