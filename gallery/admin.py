from django import forms
from django.contrib import admin, messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.html import format_html

from gallery.errors import ServiceError
from gallery.models import Photo, Style, Stylization, StylizationStyle, WorkerHeartbeat
from gallery.photos.services import decode_upload
from gallery.pictures.services import stylization_retry
from gallery.styles.services import style_image, style_refresh, unique_slug
from stylize import images


def _thumb(url, size=64):
    # Sized by attributes and styled by static/css/admin.css: the CSP forbids inline styles.
    return format_html('<img src="{}" width="{}" height="{}" class="nst-thumb" alt="">',
                       url, size, size)


class ThumbMedia:
    css = {"all": ["css/admin.css"]}


class StyleAdminForm(forms.ModelForm):
    class Meta:
        model = Style
        fields = ("name", "slug", "artist", "description", "image", "thumbnail", "brush_scale",
                  "is_active", "position", "owner")

    def clean_image(self):
        """Same rules as every upload: our decoder's checks, re-encoded, metadata gone."""
        upload = self.cleaned_data.get("image")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged
        try:  # the one decoder: a 1-px-thin style would break every render using it
            img = style_image(decode_upload(upload, "image"))
        except ServiceError as exc:
            raise forms.ValidationError(str(exc)) from None
        return ContentFile(images.encode(img, "JPEG", quality=92), name="style.jpg")


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    Media = ThumbMedia

    form = StyleAdminForm
    list_display = ("preview", "name", "artist", "is_active", "position", "catalog", "owner", "has_vector")
    list_display_links = ("preview", "name")
    list_editable = ("is_active", "position")
    list_filter = ("is_active", ("owner", admin.EmptyFieldListFilter))
    search_fields = ("name", "slug", "artist", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("preview_large", "vectors_sha256", "created")
    actions = ["activate", "deactivate", "recompute_vectors", "promote_to_catalog"]
    ordering = ("position", "name")

    @admin.display(description="")
    def preview(self, obj):
        return _thumb(obj.get_thumbnail_url()) if obj.pk and obj.image else ""

    @admin.display(description="Preview")
    def preview_large(self, obj):
        return _thumb(obj.get_image_url(), 256) if obj.pk and obj.image else "—"

    @admin.display(boolean=True, description="Catalog")
    def catalog(self, obj):
        return obj.is_catalog

    @admin.display(boolean=True, description="Vector cached")
    def has_vector(self, obj):
        return bool(obj.vectors)

    def save_model(self, request, obj, form, change):
        if change and "image" in form.changed_data:
            old = Style.objects.get(pk=obj.pk).image
            transaction.on_commit(lambda: old.storage.delete(old.name))
        super().save_model(request, obj, form, change)
        if "image" in form.changed_data or not obj.thumbnail:
            style_refresh(style=obj, engine=_engine_or_none(request))

    @admin.action(description="Activate selected styles")
    def activate(self, request, queryset):
        self.message_user(request, f"{queryset.update(is_active=True)} style(s) activated.")

    @admin.action(description="Deactivate selected styles")
    def deactivate(self, request, queryset):
        self.message_user(request, f"{queryset.update(is_active=False)} style(s) deactivated.")

    @admin.action(description="Recompute thumbnail and style vector")
    def recompute_vectors(self, request, queryset):
        engine = _engine_or_none(request)
        for style in queryset:
            style_refresh(style=style, engine=engine)
        self.message_user(request, f"{queryset.count()} style(s) recomputed.")

    @admin.action(description="Promote to the catalog (make public)")
    def promote_to_catalog(self, request, queryset):
        n = 0
        for style in queryset.exclude(owner__isnull=True):
            # A catalog slug carries no user name (user styles' slugs start with it).
            style.slug = unique_slug(style.name)
            style.owner, style.is_active = None, True
            style.save(update_fields=["slug", "owner", "is_active"])
            n += 1
        self.message_user(request, f"{n} user style(s) promoted to the catalog.")


def _engine_or_none(request):
    from stylize.engine import ModelError
    from stylize.runtime import configured_engine

    try:
        return configured_engine()
    except ModelError as exc:
        messages.warning(request, f"Style vector not computed: {exc}")
        return None


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    # No picture here: photos are private to their owners, staff included.
    list_display = ("original_name", "owner", "width", "height", "created")
    list_filter = ("owner",)
    search_fields = ("original_name", "sha256", "owner__username")
    readonly_fields = ("id", "sha256", "width", "height", "created")
    date_hierarchy = "created"

    # Staff may look and delete, never change: no re-assigning an owner to peek at a photo.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartInline(admin.TabularInline):
    model = StylizationStyle
    extra = 0
    readonly_fields = ("style", "style_name", "weight")
    can_delete = False


@admin.register(Stylization)
class StylizationAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "status", "is_public", "width", "height", "render_ms", "attempts",
                    "created")
    list_filter = ("status", "is_public", "owner")
    search_fields = ("id", "owner__username", "error")
    readonly_fields = ("id", "owner", "photo", "output", "thumbnail", "width", "height", "engine",
                       "created", "queued_at", "started", "finished", "render_ms", "attempts")
    inlines = [PartInline]
    actions = ["retry_failed"]
    date_hierarchy = "created"

    # Status, publication and files belong to the owner and the worker, not to staff.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the failed ones")
    def retry_failed(self, request, queryset):
        n = 0
        for work in queryset.filter(status=Stylization.Status.FAILED):
            stylization_retry(stylization=work)
            n += 1
        self.message_user(request, f"{n} failed picture(s) queued again.")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "pid", "seen", "job", "stopping")
