"""Model-based test of custody integrity (R-LIFE): enterprises of every kind, with and without authorisations and
licences, fire random events at random batteries through the services (and a sample through the REST API).
After every step: custody changed only through a confirmed release, a removal by a vehicle party or an approved
claim, or a correction the region's regulator approved (or declared); every cascade-use step has a valid authorisation (and a repurposing a passed assessment); every
regeneration receipt a valid licence; no terminal battery moved; nothing that was at regeneration or in a second
life is in a vehicle; and the ledger verifies."""

import contextlib
from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from rest_framework.test import APIClient

from accounts.actors import platform_actor
from accounts.models import Organisation
from cascade_use.models import Authorisation, SafetyAssessment
from cascade_use.services import authorisation_grant
from tests.cascade_use.factories import assess, licence
from tests.factories import OrganisationFactory, RegulatorFactory, UserFactory
from traceability import ledger_store, services
from traceability.lifecycle import TERMINAL, EventKind
from traceability.models import AfterSalesOutlet, Battery, CustodyRelease, ErrorDeclaration, LifecycleEvent

from .factories import make_vin, register_pack

pytestmark = pytest.mark.django_db

ACTORS = ["maker", "automaker", "outlet", "point", "cascade_ok", "cascade_no", "regen_ok", "regen_no", "logistics",
          "dismantler", "fleet"]  # fmt: skip
KINDS = [k.value for k in EventKind if k not in (EventKind.PRODUCED, EventKind.BOUND, EventKind.REPLACED_IN)]
RECEIPTS = {"received", "cascade_received", "regeneration_received"}


class Custody(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        kinds = {"maker": "battery_maker", "automaker": "automaker", "outlet": "after_sales",
                 "point": "service_operator", "cascade_ok": "cascade_use", "cascade_no": "cascade_use",
                 "regen_ok": "regeneration", "regen_no": "regeneration", "logistics": "logistics",
                 "dismantler": "dismantler", "fleet": "fleet_operator"}  # fmt: skip
        self.orgs = {k: OrganisationFactory(kinds=[v], region="BJ") for k, v in kinds.items()}
        self.users = {k: UserFactory(organisation=o) for k, o in self.orgs.items()}
        self.regulator = (
            RegulatorFactory(region="BJ", department="industry_it") if not _regulator() else _regulator()
        )
        AfterSalesOutlet.objects.create(automaker=self.orgs["automaker"], outlet=self.orgs["outlet"])
        authorisation_grant(
            battery_maker=self.orgs["maker"],
            enterprise=self.orgs["cascade_ok"],
            valid_from=date(2020, 1, 1),
            valid_to=date(2035, 1, 1),
            document_ref="A-1",
            actor=platform_actor(self.orgs["maker"]),
        )
        licence(self.orgs["regen_ok"], scale_t=1000)
        self.orgs_by_pk = {o.pk: o for o in self.orgs.values()}
        self.packs = []
        for n in range(4):
            pack = register_pack(
                self.orgs["maker"], customer=self.orgs["automaker"], mass_kg=300, rated_capacity_ah=150
            )
            if n < 3:
                services.bindings_upload(
                    items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-01"}],
                    actor=platform_actor(self.orgs["automaker"]),
                )
            self.packs.append(pack.pk)
        self.clock = timezone.now() - timedelta(days=300)
        # One pack already out of its vehicle, with its automaker: a history of moves to correct.
        services.event_record(
            battery=Battery.objects.get(pk=self.packs[0]),
            kind="removed",
            actor=platform_actor(self.orgs["automaker"]),
            occurred_at=self.tick(),
        )
        self.ever_out_of_vehicle_use: set[int] = set()

    def tick(self):
        self.clock += timedelta(hours=3)
        return self.clock

    def snapshot(self, pk):
        b = Battery.objects.get(pk=pk)
        release = CustodyRelease.objects.filter(battery_id=pk, status="open").first()
        last = (
            LifecycleEvent.objects.filter(battery_id=pk).order_by("-id").values_list("id", flat=True).first()
        )
        return b, release, last or 0

    @rule(actor=st.sampled_from(ACTORS), n=st.integers(0, 3), kind=st.sampled_from(KINDS),
          to=st.sampled_from(ACTORS), name_custodian=st.booleans(), via_rest=st.integers(0, 4))  # fmt: skip
    def fire(self, actor, n, kind, to, name_custodian, via_rest):
        pk = self.packs[n]
        before, release, last = self.snapshot(pk)
        org, receiver = self.orgs[actor], self.orgs[to]
        when = self.tick()
        if via_rest == 0:  # a sample through the REST API, as an enterprise's system sends it
            client = APIClient()
            client.force_authenticate(self.users[actor])
            item = {"battery_code": before.code, "kind": kind, "occurred_at": when.isoformat(),
                    "payload": {"mass_kg": "300"}}  # fmt: skip
            if name_custodian or kind in ("handed_over", "dispatched"):
                item["to_uscc"] = receiver.uscc
            r = client.post("/api/v1/events/", {"items": [item]}, format="json")
            assert r.status_code in (200, 201, 207, 403), r.content[:300]
        else:
            kw = {"payload": {"mass_kg": "300"}}
            if kind in ("handed_over", "dispatched"):
                kw["release_to"] = receiver
            elif name_custodian:
                kw["custodian_after"] = receiver
            try:
                services.event_record(
                    battery=before, kind=kind, actor=platform_actor(org), occurred_at=when, **kw
                )
            except services.TraceabilityError as exc:
                assert exc.code and exc.http_status in (400, 403, 404, 409, 422)
        self.check_step(pk, before, release, last)

    @rule(actor=st.sampled_from(ACTORS), n=st.integers(0, 3), approve=st.booleans())
    def claim(self, actor, n, approve):
        pk = self.packs[n]
        before, release, last = self.snapshot(pk)
        try:
            claim = services.claim_record(battery=before, actor=platform_actor(self.orgs[actor]), reason="found",
                                          found_at=self.tick())  # fmt: skip
            services.claim_review(
                claim=claim, actor=platform_actor(self.regulator), approve=approve, occurred_at=self.tick()
            )
        except services.TraceabilityError:
            pass
        self.check_step(pk, before, release, last)

    @rule(n=st.integers(0, 3), to=st.sampled_from(ACTORS), dispatch=st.booleans())
    def hand_on(self, n, to, dispatch):
        """A two-party move: the holder releases, the named receiver confirms (history for corrections to undo)."""
        pk = self.packs[n]
        before, release, last = self.snapshot(pk)
        holder = self.orgs_by_pk.get(before.custodian_id)
        if holder is None:
            return
        with contextlib.suppress(services.TraceabilityError):
            services.release_record(battery=before, actor=platform_actor(holder), receiver=self.orgs[to], occurred_at=self.tick(),
                                    kind="dispatched" if dispatch else "handed_over")  # fmt: skip
        self.check_step(pk, before, release, last)
        before, release, last = self.snapshot(pk)
        with contextlib.suppress(services.TraceabilityError):
            services.receipt_confirm(
                battery=before, actor=platform_actor(self.orgs[to]), occurred_at=self.tick()
            )
        self.check_step(pk, before, release, last)

    @rule(n=st.integers(0, 3), pick=st.sampled_from([0, 0, 0, 1, 2]),
          reason=st.sampled_from(["did_not_occur", "incorrect_data"]), approve=st.booleans(),
          by=st.sampled_from(["own", "own", "regulator", *ACTORS]))  # fmt: skip
    def correct(self, n, pick, reason, approve, by):
        """A declaration of one of the last events (mostly the latest), by its own actor, the regulator or anyone
        else; a pending one is approved or rejected."""
        pk = self.packs[n]
        before, release, last = self.snapshot(pk)
        events = list(LifecycleEvent.objects.filter(battery_id=pk).order_by("-id")[:3])
        wrong = events[pick % len(events)]
        org = {"own": wrong.actor, "regulator": self.regulator}.get(by) or self.orgs.get(by)
        if org is None:
            return
        try:
            declaration = services.error_declare(actor=platform_actor(org), event_id=wrong.pk, reason=reason)
            if declaration.status == "pending":
                assert (Battery.objects.get(pk=pk).custodian_id, Battery.objects.get(pk=pk).state) == (
                    before.custodian_id,
                    before.state,
                )
                services.error_review(actor=platform_actor(self.regulator), declaration_id=declaration.pk,
                                      decision="approve" if approve else "reject")  # fmt: skip
        except services.TraceabilityError as exc:
            assert exc.code and exc.http_status in (400, 403, 404, 409, 422)
        self.check_step(pk, before, release, last)

    @rule(n=st.integers(0, 3), verdict=st.sampled_from(["pass", "fail"]))
    def assess(self, n, verdict):
        b = Battery.objects.get(pk=self.packs[n])
        if b.custodian_id == self.orgs["cascade_ok"].pk and b.state == "cascade_use":
            assess(b, self.orgs["cascade_ok"], verdict=verdict)

    def check_step(self, pk, before, release, last):
        after = Battery.objects.get(pk=pk)
        new = list(LifecycleEvent.objects.filter(battery_id=pk, id__gt=last).order_by("id"))
        if before.state in TERMINAL:
            assert not new and (after.state, after.custodian_id) == (before.state, before.custodian_id)
        if after.custodian_id != before.custodian_id:
            moving = new[-1]
            # A correction returns the battery to its custodian before the wrong event, as the regulator agreed.
            by_correction = (
                moving.kind == "corrected"
                and ErrorDeclaration.objects.filter(
                    pk=moving.payload["error_declaration"], status__in=["approved", "effective"],
                    reviewer__is_regulator=True, event__custodian_before_id=after.custodian_id,
                ).exists()
            )  # fmt: skip
            by_release = (
                moving.kind in RECEIPTS and release is not None and release.receiver_id == moving.actor_id
            )
            by_claim = moving.kind in RECEIPTS and "claim" in moving.payload
            by_removal = moving.kind in ("removed", "replaced_out") and moving.state_before == "in_vehicle"
            assert by_correction or moving.actor_id == after.custodian_id
            assert by_correction or by_release or by_claim or by_removal, (moving.kind, moving.payload)
        for e in new:
            day = timezone.localdate(e.occurred_at)
            if e.kind in ("cascade_received", "cascade_repurposed"):
                assert Authorisation.objects.filter(
                    enterprise_id=e.actor_id, battery_maker_id=after.maker_id, valid_from__lte=day, valid_to__gte=day,
                    revoked_at=None,
                ).exists()  # fmt: skip
            if e.kind == "cascade_repurposed":
                latest = (
                    SafetyAssessment.objects.filter(battery_id=pk).order_by("-assessed_at", "-id").first()
                )
                assert latest is not None and latest.verdict != "fail"
            if e.kind == "regeneration_received":
                assert e.actor_id == self.orgs["regen_ok"].pk
            if e.state_after in ("cascade_use", "at_regeneration"):
                self.ever_out_of_vehicle_use.add(pk)

    @invariant()
    def nothing_back_in_a_vehicle(self):
        if self.ever_out_of_vehicle_use:
            assert not Battery.objects.filter(
                pk__in=self.ever_out_of_vehicle_use, state="in_vehicle"
            ).exists()

    def teardown(self):
        report = ledger_store.verify()
        assert report.ok, report.problems


def _regulator():
    return Organisation.objects.filter(is_regulator=True, region="BJ", department="industry_it").first()


def test_custody_holds_under_random_events():
    run_state_machine_as_test(
        Custody,
        settings=settings(max_examples=15, stateful_step_count=15, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip
