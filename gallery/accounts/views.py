"""Accounts: sign-up and sign-in (the site's and the admin's), with budgets on both so
neither password guessing nor mass sign-ups get far."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.views.generic import CreateView

from gallery import budgets
from gallery.accounts.forms import SignUpForm
from gallery.web import RefusedFormMixin


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
        self.spent = budgets.spend(budgets.signup_budget(), budgets.client_address(request))
        if not self.spent.allowed:
            self.object = None
            return self.refuse(self.get_form(), "Too many accounts were created from your "
                               "network recently. Please try again in an hour.", 429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form, status: int = 400):
        budgets.refund(self.spent)
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
        self.spent = budgets.spend(budgets.login_budget(), budgets.client_address(request))
        if not self.spent.allowed:
            minutes = max(1, round(self.spent.reset_in / 60))
            return self.refuse(self.get_form(), "Too many failed attempts. Please wait "
                               f"{minutes} minute{'s' if minutes != 1 else ''} and try again.", 429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        budgets.refund(self.spent)
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
