"""API views for webhooks: your signing secret (rotate: shown once) and every delivery with
its attempts, so a receiver that was down can see what it missed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery.models import Delivery
from gallery.webhooks.services import rotate_secret


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "event", "subject", "url", "status", "attempts", "last_status", "error",
                  "created", "finished", "queued_at", "payload"]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "queued (waiting for its next attempt: queued_at), running, "
                                    "done (the receiver answered 2xx) or failed (gave up)."},
            "error": {"help_text": "Why the last attempt failed."}}


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Shown this once: keep it where your receiver runs.")


class WebhookSecretView(APIView):
    """A new signing secret; the old one stops working at once."""

    @extend_schema(request=None, responses={201: WebhookSecretSerializer},
                   operation_id="webhooks_secret_rotate", tags=["webhooks"])
    def post(self, request):
        return Response({"secret": rotate_secret(request.user)},
                        status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary="Your webhook deliveries, newest first",
                                       tags=["webhooks"]),
                    retrieve=extend_schema(summary="One delivery and its attempts",
                                           tags=["webhooks"]))
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Delivery.objects.none()
    serializer_class = DeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return Delivery.objects.filter(owner=self.request.user)
