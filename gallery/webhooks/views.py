"""The webhooks page: the signing secret and the latest deliveries."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from gallery.models import Account, Delivery
from gallery.webhooks.services import rotate_secret


class WebhooksView(LoginRequiredMixin, View):
    """The signing secret (a new one is shown once, in the answer to the POST that made it)
    and the latest deliveries."""

    def get(self, request, new_secret: str = ""):
        return render(request, "gallery/webhooks.html", {
            "account": Account.objects.filter(user=request.user).first(),
            "deliveries": Delivery.objects.filter(owner=request.user)[:20],
            "new_secret": new_secret})

    def post(self, request):
        response = self.get(request, new_secret=rotate_secret(request.user))
        response["Cache-Control"] = "no-store"
        return response
