"""axe-core (from npm, injected by the test, never served by the site) over every page in
real Chromium: the visitor's pages, the share page, and every page of a signed-in user with
a picture, a batch, a clip and "Try every style" made. Any violation, of any impact, fails.

The site's Content-Security-Policy forbids inline scripts, so axe is not added as a script
tag: it is evaluated from outside the page (DevTools), which the policy does not govern."""

from pathlib import Path

import pytest

from stylize.engine import Controls
from tests.browser.kit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci)")
    return AXE.read_text()


def _violations(page, source: str) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => `${v.impact} ${v.id}: ${v.help} — ` +
            v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }""")
    return [f"{page.url}: {text}" for text in found]


def _made_for(user, style, tmp_path):
    """A done picture (published), a batch, a clip and an exploration, through the services
    (rendered as each commits: the test settings run jobs inline)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.batches.services import batch_create
    from gallery.clips.services import clip_create
    from gallery.explorations.services import exploration_create
    from gallery.pictures.services import stylization_create, stylization_set_public
    from tests.imagegen import clip, encoded, photo

    def jpeg(seed):
        return SimpleUploadedFile("lake.jpg", encoded(photo(320, 240, seed=seed), "JPEG"))

    work = stylization_create(owner=user, upload=jpeg(1), original_name="lake.jpg",
                                       styles=[(style, 1.0)], controls=Controls(max_side=256))
    work.refresh_from_db()
    stylization_set_public(stylization=work, is_public=True)
    batch = batch_create(owner=user, styles=[style], uploads=[jpeg(2), jpeg(3)],
                                 controls=Controls(max_side=128))
    path = clip(tmp_path / "walk.mp4", size=(160, 96), frames=6, fps=6, audio=False)
    film = clip_create(owner=user, style=style, controls=Controls(max_side=160),
                               upload=SimpleUploadedFile("walk.mp4", path.read_bytes()))
    tried = exploration_create(owner=user, photo=work.photo)
    return work, batch, film, tried


def test_every_page_is_clean_under_axe(new_page, catalog_style, tmp_path, artifacts):
    from django.contrib.auth import get_user_model

    source = _axe_source()
    user = get_user_model().objects.create_user("painter", password=PASSWORD)
    work, batch, film, tried = _made_for(user, catalog_style, tmp_path)
    found: list[str] = []

    visitor, guard = new_page()
    guard.expect_status(404, "/no-such-page/")
    for path in ("/", "/explore/", "/styles/", "/accounts/login/", "/accounts/signup/",
                 f"/w/{work.pk}/", "/no-such-page/"):
        visitor.goto(path)
        visitor.wait_for_load_state("networkidle")
        found += _violations(visitor, source)

    page, _ = new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "painter")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    pages = ["/", "/create/", "/create/batch/", "/create/clip/", "/account/webhooks/",
             f"/w/{work.pk}/", "/me/", "/me/photos/", "/my-styles/", "/styles/", "/explore/",
             "/accounts/password_change/", f"/batches/{batch.pk}/", f"/clips/{film.pk}/",
             f"/try/{tried.pk}/"]
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found += _violations(page, source)
    page.goto("/create/batch/")
    page.screenshot(path=artifacts / "batch-form.png", full_page=True)
    assert not found, "axe-core found:\n" + "\n".join(found)
