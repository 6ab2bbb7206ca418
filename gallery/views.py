"""Pages. Thin class-based views: forms validate, services act, mixins filter by owner."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, ListView, TemplateView

from gallery import limits, services
from gallery.downloads import DOWNLOAD_FORMATS, download_response, file_response
from gallery.forms import SignUpForm, StylizationForm
from gallery.jobs.scheduler import queue_position
from gallery.limits import RenderThrottle, UploadThrottle, over_limit
from gallery.models import Photo, Style, Stylization, Video

PAGE_SIZE = 24


class HomeView(TemplateView):
    template_name = "gallery/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["recent"] = public_works()[:8]
        ctx["styles"] = Style.objects.catalog()[:6]
        return ctx


def public_works():
    return Stylization.objects.public().select_related("owner", "photo").prefetch_related("parts__style")


class RefusedFormMixin:
    """A refused form is re-rendered with a 4xx status (400 unless told otherwise), as the
    API answers, so scripts and monitors see the refusal."""

    def form_invalid(self, form, status: int = 400):
        return self.render_to_response(self.get_context_data(form=form), status=status)


class SignUpView(RefusedFormMixin, CreateView):
    form_class = SignUpForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("create")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("create")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # Accounts from one address are capped, or per-user budgets would multiply. The
        # place is taken first (atomically) and given back if the form is refused.
        self.spent = limits.spend(limits.signup_budget(), limits.client_address(request))
        if not self.spent.allowed:
            self.object = None
            form = self.get_form()
            form.add_error(None, "Too many accounts were created from your network recently. "
                                 "Please try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form, status: int = 400):
        limits.refund(self.spent)
        return super().form_invalid(form, status)

    def form_valid(self, form):
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, f"Welcome, {self.object.username}! Upload a photo to begin.")
        return response


class ThrottledLoginView(RefusedFormMixin, LoginView):
    """Django's login with a cap on failed attempts per client address (password guessing).

    Every attempt takes a place first (atomically, so parallel guesses cannot slip past the
    cap); a successful login gives it back, so only failures count."""

    def post(self, request, *args, **kwargs):
        self.spent = limits.spend(limits.login_budget(), limits.client_address(request))
        if not self.spent.allowed:
            form = self.get_form()
            minutes = max(1, round(self.spent.reset_in / 60))
            form.add_error(None, "Too many failed attempts. Please wait "
                                 f"{minutes} minute{'s' if minutes != 1 else ''} and try again.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        limits.refund(self.spent)
        return super().form_valid(form)


class ThrottledAdminLoginView(ThrottledLoginView):
    """The admin's login page with the same attempt counter as the site's (one per address)."""

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm

    def get_context_data(self, **kwargs):
        from django.contrib import admin

        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs),
                "title": "Log in", "app_path": self.request.get_full_path(),
                "username": self.request.user.get_username()}

    def get_default_redirect_url(self):
        return reverse("admin:index")


class CreateStylizationView(LoginRequiredMixin, RefusedFormMixin, FormView):
    form_class = StylizationForm
    template_name = "gallery/create.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        """Pre-filled from the query string: ``?photo=`` (one of yours), ``?style=`` and the
        other settings ("Restyle this photo", a style's "Use", "Make one like this")."""
        initial = super().get_initial()
        q = self.request.GET
        if q.get("photo"):
            initial["photo"] = Photo.objects.filter(owner=self.request.user,
                                                    pk=_uuid(q["photo"])).first()
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
        ctx["styles"] = Style.objects.usable_by(self.request.user)
        ctx["photos"] = Photo.objects.filter(owner=self.request.user)[:12]
        ctx["budgets"] = limits.user_budgets(self.request.user)
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        upload = d.get("photo_file")
        throttles = [RenderThrottle()] + ([UploadThrottle()] if upload else [])
        refusal = over_limit(self.request, self, *throttles)
        if refusal:
            form.add_error(None, refusal)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        try:
            stylization = services.stylization_create(
                owner=self.request.user,
                photo=d.get("photo"),
                upload=upload,
                original_name=upload.name if upload else "",
                styles=form.style_weights(),
                strength=d["strength"],
                preserve_color=d["preserve_color"],
                max_side=d["max_side"],
                brush_scale=d["brush_scale"],
            )
        except services.ServiceError as exc:
            field = {"photo": "photo_file", "styles": "style", "max_side": "max_side"}.get(
                exc.field or "", None)
            message = str(exc)
            if field == "photo_file" and upload:
                message += " Please choose a file again."
            form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form, status=exc.status)
        return redirect(stylization)


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


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
    from urllib.parse import urlencode

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
        "queue_position": queue_position(work), "progress": work.progress, **links,
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
        if fmt not in DOWNLOAD_FORMATS:
            return HttpResponse("Unknown format; use png, jpeg or webp.", status=400,
                                content_type="text/plain")
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
        except services.ServiceError as exc:
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
        except services.ServiceError as exc:
            limits.refund_request(request)
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


class OwnedPhotoMixin(LoginRequiredMixin):
    def get_object(self):
        return get_object_or_404(Photo, pk=self.kwargs["pk"], owner=self.request.user)


class PhotoImageView(OwnedPhotoMixin, View):
    def get(self, request, pk):
        photo = self.get_object()
        thumb = request.GET.get("size") == "thumb" and photo.thumbnail
        return file_response(photo.thumbnail if thumb else photo.image)


class PhotoDeleteView(OwnedPhotoMixin, DetailView):
    template_name = "gallery/photo_confirm_delete.html"
    context_object_name = "photo"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["works"] = self.object.stylizations.all()
        return ctx

    def post(self, request, pk):
        photo = self.get_object()
        n = photo.stylizations.count()
        services.photo_delete(photo=photo)
        messages.success(request, f"The photo and {n} picture{'s' if n != 1 else ''} made from it "
                                  "were deleted.")
        return redirect("my-gallery")


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


class MyPhotosView(LoginRequiredMixin, ListView):
    template_name = "gallery/my_photos.html"
    paginate_by = PAGE_SIZE
    context_object_name = "photos"

    def get_queryset(self):
        return Photo.objects.filter(owner=self.request.user)


class ExploreView(ListView):
    template_name = "gallery/explore.html"
    paginate_by = PAGE_SIZE
    context_object_name = "works"

    def get_queryset(self):
        return public_works()


class StyleListView(ListView):
    template_name = "gallery/style_list.html"
    context_object_name = "styles"

    def get_queryset(self):
        return Style.objects.catalog()


class StyleImageView(View):
    """Catalog styles are public; a private style only for its owner (and staff, who curate)."""

    def get(self, request, pk):
        qs = Style.objects.all() if request.user.is_staff else Style.objects.usable_by(request.user)
        style = get_object_or_404(qs, pk=pk)
        field = style.thumbnail if request.GET.get("size") == "thumb" and style.thumbnail else style.image
        return file_response(field, private=not style.is_catalog)


def healthz(request):
    from gallery.jobs.status import health

    report = health()
    return JsonResponse(report, status=200 if report["ok"] else 503)
