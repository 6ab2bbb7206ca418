"""/api/v1/… (the API), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, assets served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from gallery.api import batches, explorations, stylizations, videos, views, webhooks

router = SimpleRouter()
router.register("styles", views.StyleViewSet, basename="api-style")
router.register("photos", views.PhotoViewSet, basename="api-photo")
router.register("stylizations", stylizations.StylizationViewSet, basename="api-stylization")
router.register("gallery", views.GalleryViewSet, basename="api-gallery")
router.register("batches", batches.BatchViewSet, basename="api-batch")
router.register("explorations", explorations.ExplorationViewSet, basename="api-exploration")
router.register("webhooks/deliveries", webhooks.DeliveryViewSet, basename="api-delivery")
router.register("videos", videos.VideoViewSet, basename="api-video")

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="api-token"),
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("v1/webhooks/secret/", webhooks.WebhookSecretView.as_view(), name="api-webhook-secret"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from its own URL: no inline script,
    # so the site's Content-Security-Policy holds on this page too.
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="api/swagger_ui.html"), name="api-docs"),
]
