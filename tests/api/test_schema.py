"""Schemathesis against /api/schema/, in-process through the WSGI app, as a signed-in owner.

Bounded and deterministic: derandomized Hypothesis, a few examples per operation, so it
fits in `make test`. Checks: no 5xx, responses match the schema, auth is enforced where
the schema says it is required.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance

from tests.fixtures import token_for

CHECKS = [not_a_server_error, response_schema_conformance, ignored_auth]
MAX_EXAMPLES = 12


# Loaded at import (pytest-django has configured Django by then); generating the schema
# touches no database. (schemathesis.pytest.from_fixture does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # The real WSGI handler closes "old" connections at request end, which would close the
    # test's transaction; Django's test client disconnects this handler the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _generous_throttles(settings):
    # Every generated POST would otherwise eat the owner's hourly budget within seconds.
    rates = {"uploads": "100000/hour", "renders": "100000/hour", "auth": "100000/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, done_work, private_style, django_capture_on_commit_callbacks):
    # Renders are not run: only the API's answers are under test here, and they are
    # the same whether or not the queued job ever runs.
    with django_capture_on_commit_callbacks(execute=False):
        case.call_and_validate(headers={"Authorization": f"Token {token_for(done_work.owner)}"},
                               checks=CHECKS)
