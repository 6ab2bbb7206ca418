from django.contrib import admin
from django.urls import include, path

from gallery.accounts.views import ThrottledAdminLoginView

urlpatterns = [
    # Before the admin's own: one failed-login counter for the admin and the site.
    path("admin/login/", ThrottledAdminLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/", include("gallery.api_urls")),
    path("", include("gallery.urls")),
]

# Under /api/ even Django's own error answers are JSON (gallery/fallback.py).
handler400 = "gallery.fallback.bad_request"
handler403 = "gallery.fallback.permission_denied"
handler404 = "gallery.fallback.page_not_found"
handler500 = "gallery.fallback.server_error"
