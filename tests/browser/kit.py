"""Fixtures for the browser tests: a live server, a catalog style and headless Chromium."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.imagegen import photo

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls the tests make
# themselves (fixtures, assertions) would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def wait_until(page, expression: str, timeout: float = 10_000) -> None:
    """Poll a JavaScript expression from here until it is truthy. Playwright's own
    wait_for_function polls inside the page with eval, which the site's Content-Security-
    Policy (rightly) forbids; an evaluate from outside the page is not subject to it."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# Every page reports Content-Security-Policy violations to the guard (the event fires for
# anything the policy blocked: an inline script or style, a foreign picture, eval).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => window.__nstCspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`
    + (e.sample ? `: ${e.sample}` : "")));
"""


class Guard:
    """Collects console errors, page errors, CSP violations and requests that leave the live
    server."""

    def __init__(self, base_url: str):
        self.origin = urlsplit(base_url).netloc
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.csp: list[str] = []
        self.expected: set[tuple[int, str]] = set()

    def attach(self, context) -> None:
        context.route("**/*", self.route)
        context.expose_binding("__nstCspViolation", lambda source, text: self.csp.append(text))
        context.add_init_script(CSP_LISTENER)

    def expect_status(self, status: int, path: str) -> None:
        """A refusal the test provokes (a form answered 4xx): not a browser error."""
        self.expected.add((status, path))

    def route(self, route):
        url = route.request.url
        scheme = urlsplit(url).scheme
        if scheme in ("data", "blob") or urlsplit(url).netloc == self.origin:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def console(self, msg):
        url = msg.location.get("url", "")
        if any(f"status of {status} " in msg.text and urlsplit(url).path == path
               for status, path in self.expected):
            return
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} @ {url}")

    def page_error(self, exc):
        self.errors.append(f"pageerror: {exc}")

    def check(self):
        assert not self.csp, f"Content-Security-Policy violations: {self.csp}"
        assert not self.blocked, f"requests left the live server: {self.blocked}"
        assert not self.errors, f"browser errors: {self.errors}"


@pytest.fixture
def new_page(browser, live_server):
    """Factory: a fresh context + page with the guards attached; checked at teardown."""
    made = []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, accept_downloads=True,
                                      base_url=live_server.url)
        context.set_default_timeout(10_000)
        guard = Guard(live_server.url)
        guard.attach(context)
        page = context.new_page()
        page.on("console", guard.console)
        page.on("pageerror", guard.page_error)
        made.append((context, guard))
        return page, guard

    yield make
    for context, _ in made:
        context.close()
    for _, guard in made:
        guard.check()


# -- steps many page tests take -------------------------------------------------------

PASSWORD = "a-long-Passw0rd-for-tests"


def sign_up(page, username):
    page.goto("/")
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.wait_for_url("**/accounts/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/create/")


def stylize_new_photo(page, tmp_path, name: str, size: tuple[int, int], seed: int) -> None:
    """On the create page: upload a photo made here, take the first style, press Stylize."""
    jpg = tmp_path / name
    photo(*size, seed=seed).save(jpg, "JPEG", quality=92)
    page.set_input_files("input[name=photo_file]", str(jpg))
    page.locator("label.pick").first.click()
    page.get_by_role("button", name="Stylize").click()
    page.wait_for_url("**/w/**")
