from django.urls import include, path

from gallery import views
from gallery.accounts.views import SignUpView, ThrottledLoginView
from gallery.batches import views as batches
from gallery.clips import views as clips
from gallery.explorations import views as explorations
from gallery.photos import views as photos
from gallery.pictures import views as pictures
from gallery.styles import views as styles
from gallery.webhooks.views import WebhooksView

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("me/", views.MyGalleryView.as_view(), name="my-gallery"),
    path("explore/", views.PublicFeedView.as_view(), name="explore"),
    path("accounts/signup/", SignUpView.as_view(), name="signup"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/webhooks/", WebhooksView.as_view(), name="webhooks"),
    # pictures
    path("create/", pictures.CreateStylizationView.as_view(), name="create"),
    path("w/<uuid:pk>/", pictures.StylizationDetailView.as_view(), name="stylization-detail"),
    path("w/<uuid:pk>/status", pictures.StylizationStatusView.as_view(),
         name="stylization-status"),
    path("w/<uuid:pk>/image", pictures.StylizationImageView.as_view(), name="stylization-image"),
    path("w/<uuid:pk>/download", pictures.StylizationDownloadView.as_view(),
         name="stylization-download"),
    path("w/<uuid:pk>/publish", pictures.StylizationPublishView.as_view(),
         name="stylization-publish"),
    path("w/<uuid:pk>/retry", pictures.StylizationRetryView.as_view(), name="stylization-retry"),
    path("w/<uuid:pk>/delete/", pictures.StylizationDeleteView.as_view(),
         name="stylization-delete"),
    # photos
    path("me/photos/", photos.MyPhotosView.as_view(), name="my-photos"),
    path("photos/<uuid:pk>/image", photos.PhotoImageView.as_view(), name="photo-image"),
    path("photos/<uuid:pk>/delete/", photos.PhotoDeleteView.as_view(), name="photo-delete"),
    # styles
    path("styles/", styles.StyleListView.as_view(), name="style-list"),
    path("styles/<uuid:pk>/image", styles.StyleImageView.as_view(), name="style-image"),
    path("my-styles/", styles.MyStylesView.as_view(), name="my-styles"),
    path("my-styles/<uuid:pk>/delete", styles.MyStyleDeleteView.as_view(),
         name="my-style-delete"),
    # "Try every style"
    path("photos/<uuid:pk>/try-every-style", explorations.ExplorationCreateView.as_view(),
         name="exploration-create"),
    path("try/<uuid:pk>/", explorations.ExplorationDetailView.as_view(),
         name="exploration-detail"),
    path("try/<uuid:pk>/status", explorations.ExplorationStatusView.as_view(),
         name="exploration-status"),
    path("try/<uuid:pk>/<uuid:style>.jpg", explorations.ExplorationPreviewView.as_view(),
         name="exploration-preview"),
    # batches
    path("create/batch/", batches.BatchCreateView.as_view(), name="batch-create"),
    path("batches/<uuid:pk>/", batches.BatchDetailView.as_view(), name="batch-detail"),
    path("batches/<uuid:pk>/status", batches.BatchStatusView.as_view(), name="batch-status"),
    path("batches/<uuid:pk>/zip", batches.BatchZipView.as_view(), name="batch-zip"),
    path("batches/<uuid:pk>/retry", batches.BatchRetryView.as_view(), name="batch-retry"),
    # clips
    path("create/clip/", clips.ClipCreateView.as_view(), name="clip-create"),
    path("clips/<uuid:pk>/", clips.ClipDetailView.as_view(), name="clip-detail"),
    path("clips/<uuid:pk>/status", clips.ClipStatusView.as_view(), name="clip-status"),
    path("clips/<uuid:pk>/video", clips.ClipFileView.as_view(), name="clip-file"),
    path("clips/<uuid:pk>/cancel", clips.ClipCancelView.as_view(), name="clip-cancel"),
]
