"""REST endpoints of the traceability core (R-CODE, R-BIND, R-LIFE). Views validate, call one service or
selector, and answer."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import acting_organisation
from accounts.models import Organisation
from core.api.base import AuditedViewMixin
from core.api.bulk import BulkAPIView
from core.api.pagination import StandardPagination
from core.dates import parse_when
from traceability import codes, ledger_store, selectors, services
from traceability.models import CustodyClaim, CustodyRelease, ErrorDeclaration

from . import serializers as s
from .serializers import BatterySerializer, BulkResultSerializer, DecodedCodeSerializer


class CodeDecodeView(APIView):
    """Decode a GB/T 34014 battery code field by field (public). An invalid code answers 400 and the error's
    ``fields`` name the field at fault: length, charset, product_type, battery_type, spec, production_date, serial."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: DecodedCodeSerializer, 400: OpenApiResponse(description="field at fault")})
    def get(self, request, code: str):
        try:
            parsed = codes.parse(code, today=timezone.localdate())
        except codes.CodeError as exc:
            raise exceptions.ValidationError(exc.as_dict(), code=exc.field) from exc
        return Response(DecodedCodeSerializer(parsed.as_dict()).data)


class _TraceBulkView(AuditedViewMixin, BulkAPIView):
    kinds: tuple[str, ...] = ()

    def process(self, items, request):
        acting_organisation(request.user, *self.kinds)
        return self.upload(items=items, actor=request.user)

    def upload(self, **kwargs):
        raise NotImplementedError


class BatteryListCreateView(_TraceBulkView):
    """GET: the batteries you may see. POST (battery makers): register produced codes with their modules and
    cells, ``{"items": [{"code", "rated_capacity_ah", "rated_energy_kwh", "mass_kg", "produced_at",
    "customer_uscc", "children": [...]}]}``."""

    kinds = ("battery_maker",)
    upload = staticmethod(services.batteries_upload)  # type: ignore[assignment]  # keyword-only service behind the base\'s **kwargs

    @extend_schema(responses=BatterySerializer(many=True))
    def get(self, request):
        qs = selectors.battery_list(user=request.user, filters=request.query_params)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(BatterySerializer(page, many=True).data)

    @extend_schema(request=s.BatteryUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class BindingBulkView(_TraceBulkView):
    """Automakers upload vehicle-battery pairs: ``{"items": [{"vin", "pack_code", "sold_at"}]}`` (up to 10,000)."""

    kinds = ("automaker",)
    upload = staticmethod(services.bindings_upload)  # type: ignore[assignment]  # keyword-only service behind the base\'s **kwargs

    @extend_schema(request=s.BindingUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class ReplacementBulkView(_TraceBulkView):
    """After-sales outlets (or automakers) report pack swaps: ``{"items": [{"vin", "old_pack_code",
    "new_pack_code", "replaced_at", "place"}]}``."""

    kinds = ("after_sales", "automaker")
    upload = staticmethod(services.replacements_upload)  # type: ignore[assignment]  # keyword-only service behind the base\'s **kwargs

    @extend_schema(request=s.ReplacementUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class EventBulkView(_TraceBulkView):
    """Generic lifecycle events from service points, dismantlers, cascade-use and regeneration enterprises:
    ``{"items": [{"battery_code", "kind", "occurred_at", "to_uscc", "place", "place_ref", "payload"}]}``."""

    kinds = (
        "service_operator", "dismantler", "cascade_use", "regeneration", "logistics", "after_sales",
        "fleet_operator", "automaker", "battery_maker", "assessor",
    )  # fmt: skip
    upload = staticmethod(services.events_upload)  # type: ignore[assignment]  # keyword-only service behind the base\'s **kwargs

    @extend_schema(request=s.EventUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def _battery_or_404(request, code):
    battery = selectors.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    return battery


class BatteryDetailView(AuditedViewMixin, APIView):
    """One battery by its code (GB/T 34014): level, chemistry, maker, state and custodian, for those who may
    read it."""

    @extend_schema(responses=BatterySerializer)
    def get(self, request, code: str):
        return Response(BatterySerializer(_battery_or_404(request, code)).data)


class BatteryTraceView(AuditedViewMixin, APIView):
    """The whole history of a battery: events (with ledger index), modules and cells, vehicles, cascade links."""

    @extend_schema(responses=s.TraceSerializer)
    def get(self, request, code: str):
        return Response(selectors.battery_trace(battery=_battery_or_404(request, code)))


class VehicleDetailView(AuditedViewMixin, APIView):
    """A vehicle with its current and past packs."""

    @extend_schema(responses=s.VehicleSerializer)
    def get(self, request, vin: str):
        vehicle = selectors.vehicle_get_by_vin(vin=vin, user=request.user)
        if vehicle is None:
            raise Http404
        return Response(selectors.vehicle_detail(vehicle=vehicle))


class LedgerHeadView(APIView):
    """The latest signed tree head of the event ledger (public): size, root hash, signature."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.TreeHeadSerializer)
    def get(self, request):
        head = ledger_store.latest_head()
        if head is None:
            return Response({"tree_size": 0, "root_hash": None})
        return Response(head.as_dict())


class LedgerProofView(AuditedViewMixin, APIView):
    """RFC 9162 inclusion proof of one event you may read, against the latest signed tree head."""

    @extend_schema(responses=s.InclusionProofSerializer)
    def get(self, request, event_id: int):
        if selectors.event_get(event_id=event_id, user=request.user) is None:
            raise Http404
        proof = ledger_store.inclusion_proof(event_id)
        if proof is None:
            raise Http404
        return Response(proof.as_dict())


# --- two-party custody ---------------------------------------------------------------------------------------


class _CustodyView(AuditedViewMixin, APIView):
    def org(self, request):
        org = getattr(request.user, "organisation", None)
        if org is None:
            raise exceptions.PermissionDenied("an organisation account is required")
        return org

    def when(self, request, name="occurred_at"):
        return parse_when(
            request.data.get(name) or timezone.now().isoformat(),
            field=name,
            refusal=services.TraceabilityError,
        )

    def valid(self, serializer_class, request) -> None:
        """The body's shape and characters (no NUL, lengths) before any look-up; 400 naming the field."""
        serializer_class(data=request.data).is_valid(raise_exception=True)


def _release_body(r) -> dict:
    return {"id": r.pk, "battery_code": r.battery.code, "kind": r.kind, "status": r.status,
            "releaser": r.releaser.uscc, "receiver": r.receiver.uscc, "manifest": r.manifest,
            "release_event": r.release_event_id, "closing_event": r.closing_event_id}  # fmt: skip


def _claim_body(c) -> dict:
    return {"id": c.pk, "battery_code": c.battery.code, "claimant": c.claimant.uscc, "status": c.status,
            "reason": c.reason, "region": c.region, "found_at": c.found_at, "receipt_kind": c.receipt_kind,
            "event": c.event_id, "review_note": c.review_note}  # fmt: skip


class ReleaseListCreateView(_CustodyView):
    """GET: open releases from or to you. POST (the holder): ``{"battery_code", "to_uscc", "kind"
    ("handed_over" or "dispatched"), "manifest", "occurred_at"}`` releases a battery to a named receiver."""

    @extend_schema(responses=s.ReleaseListSerializer)
    def get(self, request):
        org = self.org(request)
        rows = selectors.releases_open(org=org)
        return Response({"results": [_release_body(r) for r in rows]})

    @extend_schema(request=s.ReleaseInputSerializer, responses={201: s.ReleaseSerializer})
    def post(self, request):
        self.valid(s.ReleaseInputSerializer, request)

        self.org(request)
        battery = services._battery_for(code=str(request.data.get("battery_code") or ""))
        receiver = Organisation.objects.filter(uscc=str(request.data.get("to_uscc") or "")).first()
        if receiver is None:
            raise exceptions.ValidationError({"to_uscc": ["no organisation with this USCC"]})
        release = services.release_record(battery=battery, actor=request.user, receiver=receiver,
                           occurred_at=self.when(request), kind=str(request.data.get("kind") or "handed_over"),
                           manifest=str(request.data.get("manifest") or "")[:64])  # fmt: skip
        return Response(_release_body(release), status=201)


def _release_for(request, pk: int):
    org = getattr(request.user, "organisation", None)
    release = CustodyRelease.objects.select_related("battery", "releaser", "receiver").filter(pk=pk).first()
    if release is None or org is None or org.pk not in (release.releaser_id, release.receiver_id):
        raise Http404
    return release


class _ReleaseClosingView(_CustodyView):
    """POST on a release the caller is party to: the body checked by ``input_class``, the release closed by
    :meth:`close`; 201 with the release and the closing event."""

    input_class: type[serializers.Serializer]

    def post(self, request, pk: int):
        self.valid(self.input_class, request)
        org = self.org(request)
        release = _release_for(request, pk)
        event = self.close(request, org, release)
        release.refresh_from_db()
        return Response({**_release_body(release), "event_id": event.pk}, status=201)

    def close(self, request, org, release):
        raise NotImplementedError


@extend_schema_view(
    post=extend_schema(request=s.ReceiptInputSerializer, responses={201: s.ReleaseClosedSerializer})
)
class ReleaseConfirmView(_ReleaseClosingView):
    """POST (the receiver): ``{"occurred_at", "kind"}`` confirms the release; the receipt makes you custodian."""

    input_class = s.ReceiptInputSerializer

    def close(self, request, org, release):
        return services.receipt_confirm(battery=release.battery, actor=request.user, occurred_at=self.when(request),
                         kind=request.data.get("kind") or None,
                         place=str(request.data.get("place") or "")[:200])  # fmt: skip


@extend_schema_view(
    post=extend_schema(request=s.CancelInputSerializer, responses={201: s.ReleaseClosedSerializer})
)
class ReleaseCancelView(_ReleaseClosingView):
    """POST (the holder): ``{"occurred_at", "reason"}`` withdraws a release the receiver has not confirmed."""

    input_class = s.CancelInputSerializer

    def close(self, request, org, release):
        return services.release_cancel(battery=release.battery, actor=request.user, occurred_at=self.when(request),
                         reason=str(request.data.get("reason") or ""))  # fmt: skip


class BatteryDisassemblyView(_CustodyView):
    """POST (the holder entitled to take it apart): ``{"children": [codes], "occurred_at", "place"}`` records the
    pack's (or module's) ``disassembled`` event and a ``separated`` event on each module or cell, which goes on
    alone from then on (R-LIFE). Refusals name the rule: ``custody.holder_only``, ``lifecycle.disassembled``,
    ``disassembly.child_of_another``, ``disassembly.child_level``, ``manufacturer_unregistered``."""

    @extend_schema(request=s.DisassemblyInputSerializer, responses={201: s.DisassemblySerializer})
    def post(self, request, code: str):
        self.valid(s.DisassemblyInputSerializer, request)
        self.org(request)
        battery = _battery_or_404(request, code)
        done = services.battery_disassemble(actor=request.user, code=battery.code,
                        children=request.data.get("children") or [], occurred_at=self.when(request),
                        place=str(request.data.get("place") or "")[:200])  # fmt: skip
        events = {e.battery_id: e.pk for e in done.separations}
        children = [{"code": c.code, "level": c.level, "state": c.state, "event_id": events.get(c.pk)}
                    for c in done.children]  # fmt: skip
        return Response({"code": done.parent.code, "state": done.parent.state, "event_id": done.event.pk,
                         "children": children, "registered": done.registered}, status=201)  # fmt: skip


class ClaimListCreateView(_CustodyView):
    """GET: your claims, or (a regulator) the review queue of your region. POST: ``{"battery_code", "reason",
    "found_at", "place"}`` claims a battery that came to you without a release."""

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=["pending", "approved", "rejected"])],
        responses=s.ClaimListSerializer,
    )
    def get(self, request):
        org = getattr(request.user, "organisation", None)
        if org is None:
            raise exceptions.PermissionDenied
        rows = selectors.claims_for(org=org, status=request.query_params.get("status") or None)
        return Response({"results": [_claim_body(c) for c in rows[:500]]})

    @extend_schema(request=s.ClaimInputSerializer, responses={201: s.ClaimSerializer})
    def post(self, request):
        self.valid(s.ClaimInputSerializer, request)
        self.org(request)
        battery = services._battery_for(code=str(request.data.get("battery_code") or ""))
        claim = services.claim_record(battery=battery, actor=request.user,
                         reason=str(request.data.get("reason") or ""), found_at=self.when(request, "found_at"),
                         place=str(request.data.get("place") or ""))  # fmt: skip
        return Response(_claim_body(claim), status=201)


class ClaimReviewView(_CustodyView):
    """POST (a regulator of the claim's region): ``{"decision": "approve" | "reject", "note"}``."""

    @extend_schema(request=s.ClaimReviewInputSerializer, responses=s.ClaimSerializer)
    def post(self, request, pk: int):
        self.valid(s.ClaimReviewInputSerializer, request)

        org = self.org(request)
        claim = CustodyClaim.objects.filter(pk=pk).first()
        if claim is None or not (org.is_regulator or org.pk == claim.claimant_id):
            raise Http404
        decision = request.data.get("decision")
        if decision not in ("approve", "reject"):
            raise exceptions.ValidationError({"decision": ["approve or reject"]})
        claim = services.claim_review(claim=claim, actor=request.user, approve=decision == "approve",
                         note=str(request.data.get("note") or ""))  # fmt: skip
        return Response(_claim_body(claim))


# --- corrections (R-LIFE; EPCIS 2.0 errorDeclaration) --------------------------------------------------------


BIGINT_MAX = 2**63 - 1


def _declaration_body(d) -> dict:
    return {"id": d.pk, "event": d.event_id, "battery_code": d.battery.code, "declarant": d.declarant.uscc,
            "reason": d.reason, "note": d.note, "status": d.status, "moves_custody": d.moves_custody,
            "region": d.region, "declared_at": d.declared_at, "correction_event": d.correction_event_id,
            "corrective_events": sorted(e.pk for e in d.corrective_events.all()), "review_note": d.review_note,
            "reviewed_at": d.reviewed_at}  # fmt: skip


class ErrorDeclarationView(_CustodyView):
    """POST (the event's own actor, or a regulator of the battery's region): ``{"reason", "note", "corrective":
    [{"kind", "occurred_at", ...}]}`` declares the event erroneous. The answer is ``effective`` (corrected now) or
    ``pending`` (the correction moves custody: the region's regulator reviews it)."""

    @extend_schema(request=s.ErrorDeclarationInputSerializer, responses={201: s.ErrorDeclarationSerializer})
    def post(self, request, event_id: int):
        self.valid(s.ErrorDeclarationInputSerializer, request)
        org = self.org(request)
        if event_id > BIGINT_MAX or (
            not org.is_regulator and selectors.event_get(event_id=event_id, user=request.user) is None
        ):
            raise Http404
        declaration = services.error_declare(actor=request.user, event_id=event_id,
                               reason=request.data.get("reason"), note=str(request.data.get("note") or ""),
                               corrective=request.data.get("corrective") or [])  # fmt: skip
        return Response(_declaration_body(declaration), status=201)


class CorrectionListView(_CustodyView):
    """GET: your declarations, or (a regulator) those of your region; ``?status=pending`` is the review queue."""

    queryset = ErrorDeclaration.objects.none()  # the rows' model, for the tenancy checks that sweep the API

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=["effective", "pending", "approved", "rejected"])],
        responses=s.ErrorDeclarationListSerializer,
    )
    def get(self, request):
        org = getattr(request.user, "organisation", None)
        if org is None:
            raise exceptions.PermissionDenied
        rows = selectors.corrections_for(org=org, status=request.query_params.get("status") or None)
        rows = rows.select_related("battery", "declarant").prefetch_related("corrective_events")[:500]
        return Response({"results": [_declaration_body(d) for d in rows]})


class CorrectionReviewView(_CustodyView):
    """POST (a regulator of the declaration's region): ``{"decision": "approve" | "reject", "note"}``."""

    @extend_schema(request=s.ErrorReviewInputSerializer, responses=s.ErrorDeclarationSerializer)
    def post(self, request, pk: int):
        self.valid(s.ErrorReviewInputSerializer, request)
        org = self.org(request)
        declaration = ErrorDeclaration.objects.filter(pk=pk).first() if pk <= BIGINT_MAX else None
        if declaration is None or not (org.is_regulator or org.pk == declaration.declarant_id):
            raise Http404
        declaration = services.error_review(
            actor=request.user,
            declaration_id=pk,
            decision=request.data.get("decision"),
            note=str(request.data.get("note") or ""),
        )
        return Response(_declaration_body(declaration))
