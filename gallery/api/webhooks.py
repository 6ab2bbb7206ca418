"""API views for webhooks: your signing secret (rotate: shown once) and every delivery with
its attempts, so a receiver that was down can see what it missed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery import webhooks
from gallery.api import serializers as s
from gallery.models import Delivery


class WebhookSecretView(APIView):
    """A new signing secret; the old one stops working at once."""

    @extend_schema(request=None, responses={201: s.WebhookSecretSerializer},
                   operation_id="webhooks_secret_rotate", tags=["webhooks"])
    def post(self, request):
        return Response({"secret": webhooks.rotate_secret(request.user)},
                        status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary="Your webhook deliveries, newest first",
                                       tags=["webhooks"]),
                    retrieve=extend_schema(summary="One delivery and its attempts",
                                           tags=["webhooks"]))
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Delivery.objects.none()
    serializer_class = s.DeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return Delivery.objects.filter(owner=self.request.user)
