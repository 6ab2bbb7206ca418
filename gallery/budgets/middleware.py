"""After the response: give back what a refused request spent, and say what is left."""

from __future__ import annotations

from gallery.budgets.ledger import refund


class RefundMiddleware:
    """After the response: refund refundable spends of a refused or failed request (any 4xx or
    5xx), and tell API clients their budget in ``RateLimit-*`` headers (the IETF draft's fields)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        spent = getattr(request, "nst_spent", [])
        if not spent:
            return response
        refused = response.status_code >= 400  # bad input, or our own failure
        final = []
        for usage_, refundable in spent:
            final.append(refund(usage_) if refused and refundable else usage_)
        if request.path.startswith("/api/"):
            tightest = min(final, key=lambda u: u.remaining)
            b = tightest.budget
            response["RateLimit-Limit"] = str(b.limit)
            response["RateLimit-Remaining"] = str(tightest.remaining)
            response["RateLimit-Reset"] = str(tightest.reset_in)
            response["RateLimit-Policy"] = f"{b.limit};w={b.window}"
        return response
