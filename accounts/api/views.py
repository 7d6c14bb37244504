from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.filtersets import OrganisationFilterSet
from accounts.models import ApiToken, Organisation
from accounts.services import api_token_issue, api_token_revoke
from core.api.base import AuditedViewMixin

from .serializers import ApiTokenCreateSerializer, ApiTokenSerializer, MeSerializer, OrganisationSerializer


class MeView(AuditedViewMixin, generics.RetrieveAPIView):
    """The authenticated user, its organisation and role."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Directory of registered enterprises and regulator bodies (public facts only: names, USCC, kinds)."""

    queryset = Organisation.objects.filter(is_active=True)
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "uscc"


class ApiTokenListCreateView(AuditedViewMixin, APIView):
    """List your tokens, or issue a new one (its value is shown once in this answer)."""

    throttle_scope = "auth"

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user)
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenSerializer})
    def post(self, request):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_token_issue(owner=request.user, name=data.validated_data["name"])
        body = {**ApiTokenSerializer(issued.token).data, "token": issued.raw}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenRevokeView(AuditedViewMixin, APIView):
    """Revoke one of your own tokens by its prefix; it stops working at once."""

    throttle_scope = "auth"

    @extend_schema(request=None, responses=ApiTokenSerializer)
    def post(self, request, prefix: str):
        token = generics.get_object_or_404(ApiToken, user=request.user, prefix=prefix)
        return Response(ApiTokenSerializer(api_token_revoke(token=token, actor=request.user)).data)
