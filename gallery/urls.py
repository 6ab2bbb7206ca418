from django.urls import include, path

from gallery import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/signup/", views.SignUpView.as_view(), name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("create/", views.CreateStylizationView.as_view(), name="create"),
    path("me/", views.MyGalleryView.as_view(), name="my-gallery"),
    path("explore/", views.ExploreView.as_view(), name="explore"),
    path("styles/", views.StyleListView.as_view(), name="style-list"),
    path("styles/<uuid:pk>/image", views.StyleImageView.as_view(), name="style-image"),
    path("photos/<uuid:pk>/image", views.PhotoImageView.as_view(), name="photo-image"),
    path("photos/<uuid:pk>/delete/", views.PhotoDeleteView.as_view(), name="photo-delete"),
    path("w/<uuid:pk>/", views.StylizationDetailView.as_view(), name="stylization-detail"),
    path("w/<uuid:pk>/status", views.StylizationStatusView.as_view(), name="stylization-status"),
    path("w/<uuid:pk>/image", views.StylizationImageView.as_view(), name="stylization-image"),
    path("w/<uuid:pk>/download", views.StylizationDownloadView.as_view(),
         name="stylization-download"),
    path("w/<uuid:pk>/publish", views.StylizationPublishView.as_view(), name="stylization-publish"),
    path("w/<uuid:pk>/retry", views.StylizationRetryView.as_view(), name="stylization-retry"),
    path("w/<uuid:pk>/delete/", views.StylizationDeleteView.as_view(), name="stylization-delete"),
]
