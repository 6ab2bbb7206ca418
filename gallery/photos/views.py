"""Pages for photos: the stored photo (owner only), deleting one with what was made from it,
and the list of one's photos."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views import View
from django.views.generic import DetailView, ListView

from gallery.models import Photo
from gallery.photos import services
from gallery.web import OwnedMixin, file_response

PAGE_SIZE = 24


class PhotoImageView(OwnedMixin, View):
    model = Photo

    def get(self, request, pk):
        photo = self.get_object()
        thumb = request.GET.get("size") == "thumb" and photo.thumbnail
        return file_response(photo.thumbnail if thumb else photo.image)


class PhotoDeleteView(OwnedMixin, DetailView):
    model = Photo
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


class MyPhotosView(LoginRequiredMixin, ListView):
    template_name = "gallery/my_photos.html"
    paginate_by = PAGE_SIZE
    context_object_name = "photos"

    def get_queryset(self):
        return Photo.objects.filter(owner=self.request.user)
