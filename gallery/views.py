"""The pages that gather features: home, my gallery, the public feed (Explore), /healthz.
Each feature's own pages are in its package (gallery/<feature>/views.py)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.views.generic import ListView, TemplateView

from gallery.jobs.status import health
from gallery.models import Photo, Style, Stylization, Video

PAGE_SIZE = 24


class HomeView(TemplateView):
    template_name = "gallery/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["recent"] = Stylization.objects.public().cards()[:8]
        ctx["styles"] = Style.objects.catalog()[:6]
        return ctx


class MyGalleryView(LoginRequiredMixin, ListView):
    template_name = "gallery/my_gallery.html"
    paginate_by = PAGE_SIZE
    context_object_name = "works"

    def get_queryset(self):
        qs = (Stylization.objects.filter(owner=self.request.user)
              .select_related("photo").prefetch_related("parts__style"))
        status = self.request.GET.get("status")
        if status in Stylization.Status.values:
            qs = qs.filter(status=status)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        photos = Photo.objects.filter(owner=self.request.user)
        ctx["photos"], ctx["photo_count"] = photos[:12], photos.count()
        ctx["clips"] = Video.objects.filter(owner=self.request.user)[:8]
        ctx["statuses"] = Stylization.Status.choices
        ctx["current_status"] = self.request.GET.get("status", "")
        return ctx


class PublicFeedView(ListView):
    """Explore: everyone's published pictures, newest first."""

    template_name = "gallery/public_feed.html"
    paginate_by = PAGE_SIZE
    context_object_name = "works"

    def get_queryset(self):
        return Stylization.objects.public().cards()


def healthz(request):
    report = health()
    return JsonResponse(report, status=200 if report["ok"] else 503)
