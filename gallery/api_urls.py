"""/api/v1/… (the API), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, assets served
locally). Each feature's endpoints are in its own ``api.py``; this is where they meet."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from gallery.accounts.api import MeView, TokenView
from gallery.batches.api import BatchViewSet
from gallery.clips.api import ClipViewSet, VideoViewSet
from gallery.explorations.api import ExplorationViewSet
from gallery.photos.api import PhotoViewSet
from gallery.pictures.api import GalleryViewSet, StylizationViewSet
from gallery.styles.api import StyleViewSet
from gallery.webhooks.api import DeliveryViewSet, WebhookSecretView

router = SimpleRouter()
router.register("styles", StyleViewSet, basename="api-style")
router.register("photos", PhotoViewSet, basename="api-photo")
router.register("stylizations", StylizationViewSet, basename="api-stylization")
router.register("gallery", GalleryViewSet, basename="api-gallery")
router.register("batches", BatchViewSet, basename="api-batch")
router.register("explorations", ExplorationViewSet, basename="api-exploration")
router.register("webhooks/deliveries", DeliveryViewSet, basename="api-delivery")
router.register("clips", ClipViewSet, basename="api-clip")
router.register("videos", VideoViewSet, basename="api-video")  # the clips' first name

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/me/", MeView.as_view(), name="api-me"),
    path("v1/webhooks/secret/", WebhookSecretView.as_view(), name="api-webhook-secret"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from its own URL: no inline script,
    # so the site's Content-Security-Policy holds on this page too.
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="api/swagger_ui.html"), name="api-docs"),
]
