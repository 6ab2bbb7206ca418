"""Pages for "Try every style": start it on a photo, watch the grid fill in, the previews."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from gallery.budgets import RenderThrottle, over_limit, refund_request
from gallery.errors import ServiceError
from gallery.explorations.services import exploration_create, exploration_styles
from gallery.jobs.fair_queue import queue_position
from gallery.models import Exploration, Photo
from gallery.web import OwnedMixin, file_response


class ExplorationCreateView(LoginRequiredMixin, View):
    def post(self, request, pk):
        photo = get_object_or_404(Photo, pk=pk, owner=request.user)
        pending = photo.explorations.unfinished().first()
        if pending:  # a second click while it renders: show the same grid, render nothing twice
            return redirect(pending)
        refusal = over_limit(request, self, RenderThrottle())
        if refusal:
            messages.error(request, refusal)
            return redirect("my-gallery")
        try:
            return redirect(exploration_create(owner=request.user, photo=photo))
        except ServiceError as exc:
            refund_request(request)
            messages.error(request, str(exc))
            return redirect("my-gallery")


class OwnedExplorationMixin(OwnedMixin):
    owned_queryset = Exploration.objects.select_related("photo")


class ExplorationDetailView(OwnedExplorationMixin, DetailView):
    template_name = "gallery/exploration.html"
    context_object_name = "exploration"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ready = {p.style_id: p for p in self.object.previews.all()}
        ctx["tiles"] = [(style, ready.get(style.pk)) for style in
                        exploration_styles(self.object)]
        ctx["queue_position"] = queue_position(self.object)
        return ctx


class ExplorationStatusView(OwnedExplorationMixin, View):
    def get(self, request, pk):
        exploration = self.get_object()
        previews = [{"style": str(p.style_id), "name": p.style.name,
                     "url": reverse("exploration-preview", args=[exploration.pk, p.style_id])}
                    for p in exploration.previews.select_related("style")]
        return JsonResponse({"status": exploration.status, "error": exploration.error,
                             "finished": exploration.is_finished, "progress": exploration.progress,
                             "queue_position": queue_position(exploration),
                             "total": exploration_styles(exploration).count(),
                             "render_ms": exploration.render_ms, "previews": previews})


class ExplorationPreviewView(OwnedExplorationMixin, View):
    def get(self, request, pk, style):
        preview = self.get_object().previews.filter(style_id=style).first()
        if preview is None:
            raise Http404("No preview yet.")
        return file_response(preview.image)
