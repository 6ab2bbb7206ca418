"""Pages for pictures: create one, watch it render, see it beside the photo, download,
publish, retry and delete. Owners see everything; others see published, finished works."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from gallery import budgets
from gallery.budgets import RenderThrottle, UploadThrottle, over_limit, refund_request
from gallery.errors import ServiceError
from gallery.jobs.fair_queue import queue_position
from gallery.models import Photo, Style, Stylization
from gallery.pictures import services
from gallery.pictures.downloads import check_format, download_response
from gallery.pictures.forms import StylizationForm
from gallery.web import CreatePageMixin, file_response, uuid_or_none


class CreateStylizationView(CreatePageMixin, FormView):
    form_class = StylizationForm
    template_name = "gallery/create.html"
    error_fields = {"photo": "photo_file", "styles": "style", "max_side": "max_side"}
    upload_fields = ("photo_file",)

    def get_initial(self):
        """Pre-filled from the query string: ``?photo=`` (one of yours), ``?style=`` and the
        other settings ("Restyle this photo", a style's "Use", "Make one like this")."""
        initial = super().get_initial()
        q = self.request.GET
        if q.get("photo"):
            initial["photo"] = Photo.objects.filter(owner=self.request.user,
                                                    pk=uuid_or_none(q["photo"])).first()
        usable = Style.objects.usable_by(self.request.user)
        for name in ("style", "style_2", "style_3"):
            if q.get(name):
                initial[name] = usable.filter(slug=q[name]).first()
        form = self.get_form_class()
        for name in ("strength", "weight", "weight_2", "weight_3", "max_side", "brush_scale"):
            if name in q:
                try:  # only values the form itself would accept
                    initial[name] = form.base_fields[name].clean(q[name])
                except Exception:
                    pass
        if q.get("preserve_color") == "1":
            initial["preserve_color"] = True
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["photos"] = Photo.objects.filter(owner=self.request.user)[:12]
        ctx["budgets"] = budgets.user_budgets(self.request.user)
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        upload = d.get("photo_file")
        throttles = [RenderThrottle()] + ([UploadThrottle()] if upload else [])
        refusal = over_limit(self.request, self, *throttles)
        if refusal:
            return self.refuse(form, refusal, 429)
        try:
            stylization = services.stylization_create(
                owner=self.request.user, photo=d.get("photo"), upload=upload,
                original_name=upload.name if upload else "", styles=form.style_weights(),
                controls=form.controls())
        except ServiceError as exc:
            return self.refused(form, exc)
        return redirect(stylization)


class StylizationAccessMixin:
    """Owner sees everything; others see published, finished works; anonymous → log in."""

    model = Stylization
    owner_only = False

    def get_object(self, queryset=None):
        pk = self.kwargs["pk"]
        user = self.request.user
        qs = Stylization.objects.select_related("photo", "owner").prefetch_related("parts__style")
        if self.owner_only:
            qs = qs.filter(owner=user) if user.is_authenticated else qs.none()
        else:
            qs = qs.visible_to(user)
        obj = qs.filter(pk=pk).first()
        if obj is None:
            if not user.is_authenticated:
                raise _LoginRequired()
            raise Http404("No such picture.")
        return obj

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _LoginRequired:
            return redirect_to_login(request.get_full_path())


class _LoginRequired(Exception):
    pass


class StylizationDetailView(StylizationAccessMixin, DetailView):
    template_name = "gallery/stylization_detail.html"
    context_object_name = "work"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["is_owner"] = self.object.owner_id == self.request.user.pk
        ctx["status_url"] = reverse("stylization-status", args=[self.object.pk])
        ctx["queue_position"] = queue_position(self.object)
        ctx["like_this"] = like_this_query(self.object, self.request.user)
        if self.object.is_public and self.object.status == Stylization.Status.DONE:
            ctx["share"] = share_card(self.object, self.request)
        return ctx


def like_this_query(work: Stylization, user) -> str | None:
    """The create page's query string for the same styles and settings ("Make one like
    this"), or None when a style is not one the viewer may use (someone's private style)."""
    parts = list(work.parts.select_related("style"))
    ids = [p.style_id for p in parts]
    if not parts or len(parts) > 3 or None in ids or Style.objects.usable_by(user).filter(
            pk__in=ids).count() != len(ids):
        return None
    q = {"strength": f"{work.strength:g}", "max_side": work.max_side,
         "brush_scale": work.brush_scale}
    if work.preserve_color:
        q["preserve_color"] = "1"
    for n, part in enumerate(parts):
        suffix = "" if n == 0 else f"_{n + 1}"
        q[f"style{suffix}"] = part.style.slug
        q[f"weight{suffix}"] = f"{part.weight:g}"
    return urlencode(q)


def share_card(work: Stylization, request) -> dict:
    """Open Graph / Twitter card fields of a published picture (absolute URLs)."""
    names = work.style_names
    return {"url": request.build_absolute_uri(work.get_absolute_url()),
            "image": request.build_absolute_uri(reverse("stylization-image", args=[work.pk])),
            "width": work.width, "height": work.height,
            "title": f"A picture in {names}",
            "description": f"Made with nstsite: a photo restyled as {names} "
                           f"({work.width} × {work.height} px)."}


class StylizationStatusView(StylizationAccessMixin, View):
    def get(self, request, pk):
        return JsonResponse(status_payload(self.get_object()))


def status_payload(work: Stylization) -> dict:
    done = work.status == Stylization.Status.DONE
    links = {}
    if done:
        base = reverse("stylization-image", args=[work.pk])
        dl = reverse("stylization-download", args=[work.pk])
        links = {"result_url": base, "thumbnail_url": f"{base}?size=thumb",
                 "download_png": f"{dl}?format=png", "download_jpeg": f"{dl}?format=jpeg"}
    return {
        "id": str(work.pk), "status": work.status, "status_label": work.get_status_display(),
        "finished": work.is_finished, "error": work.error, "width": work.width,
        "height": work.height, "render_ms": work.render_ms, "engine": work.engine,
        "queue_position": queue_position(work), "progress": work.progress,
        "progress_percent": work.progress_percent, **links,
    }


class StylizationImageView(StylizationAccessMixin, View):
    """The result (or ``?size=thumb``, or ``?which=photo`` for the before/after view)."""

    def get(self, request, pk):
        work = self.get_object()
        if request.GET.get("which") == "photo":
            # Publishing shares the picture, never the original photo.
            if work.owner_id != request.user.pk:
                raise Http404("No such picture.")
            field = work.photo.image
        else:
            field = work.thumbnail if request.GET.get("size") == "thumb" else work.output
        if not field:
            raise Http404("Not rendered yet.")
        return file_response(field)


class StylizationDownloadView(StylizationAccessMixin, View):
    def get(self, request, pk):
        work = self.get_object()
        if not work.output:
            raise Http404("Not rendered yet.")
        fmt = request.GET.get("format", "png").lower()
        try:
            check_format(work, fmt)
        except ServiceError as exc:
            return HttpResponse(str(exc), status=exc.status, content_type="text/plain")
        return download_response(work, fmt, request.user)


class OwnerActionMixin(StylizationAccessMixin):
    owner_only = True


class StylizationPublishView(OwnerActionMixin, View):
    def post(self, request, pk):
        work = self.get_object()
        want = request.POST.get("public") == "1"
        try:
            services.stylization_set_public(stylization=work, is_public=want)
            messages.success(request, "Published: everyone can see it in Explore." if want
                             else "Unpublished: only you can see it now.")
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect(work)


class StylizationRetryView(OwnerActionMixin, View):
    def post(self, request, pk):
        work = self.get_object()
        if work.status == Stylization.Status.FAILED:  # a retry is a render: same budget as the API
            refusal = over_limit(request, self, RenderThrottle())
            if refusal:
                messages.error(request, refusal)
                return redirect(work)
        try:
            services.stylization_retry(stylization=work)
        except ServiceError as exc:
            refund_request(request)
            messages.error(request, str(exc))
        if work.batch_id and request.POST.get("back") == "batch":  # a cell of the batch page
            return redirect(work.batch)
        return redirect(work)


class StylizationDeleteView(OwnerActionMixin, DetailView):
    template_name = "gallery/stylization_confirm_delete.html"
    context_object_name = "work"

    def post(self, request, pk):
        services.stylization_delete(stylization=self.get_object())
        messages.success(request, "The picture was deleted.")
        return redirect("my-gallery")
