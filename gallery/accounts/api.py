"""API for accounts: a token for a username and password, and who you are with your budgets."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery.api.parsers import SafeJSONParser
from gallery.budgets import TokenThrottle, user_budgets


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class BudgetSerializer(serializers.Serializer):
    limit = serializers.IntegerField(help_text="How many are allowed per window.")
    used = serializers.IntegerField(help_text="How many were spent in the last window.")
    remaining = serializers.IntegerField()
    window_seconds = serializers.IntegerField(help_text="The sliding window, in seconds.")
    resets_in_seconds = serializers.IntegerField(
        help_text="Seconds until the oldest use in the window expires (0: nothing spent).")


class BudgetsSerializer(serializers.Serializer):
    renders = BudgetSerializer(help_text="New stylizations and retries (refused ones are free).")
    uploads = BudgetSerializer(help_text="Photo and style uploads (every attempt counts).")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    budgets = BudgetsSerializer()


class TokenView(ObtainAuthToken):
    """Exchange a username and password for the API token (the same token every time)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenThrottle]
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, SafeJSONParser]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer},
                   operation_id="auth_token_create", tags=["auth"])
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(APIView):
    """Who you are and what is left of your budgets (the same figures as the create page's
    and as the ``RateLimit-*`` headers on the answers that spend them)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: MeSerializer}, operation_id="me_retrieve", tags=["auth"])
    def get(self, request):
        budgets = {name: u.as_dict() for name, u in user_budgets(request.user).items()}
        return Response({"username": request.user.get_username(), "budgets": budgets})
