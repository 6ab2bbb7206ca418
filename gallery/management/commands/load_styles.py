"""python manage.py load_styles: put the default catalog (styles/) into the database, idempotently."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from gallery.styles.services import catalog_load


class Command(BaseCommand):
    help = "Load styles/catalog.json; existing styles (by slug) are never overwritten."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "styles"))

    def handle(self, *args, dir, **opts):
        from stylize.engine import ModelError
        from stylize.runtime import configured_engine

        try:
            engine = configured_engine()
        except ModelError as exc:
            self.stderr.write(f"style vectors not computed now ({exc}); they will be on first use")
            engine = None
        created, skipped = catalog_load(directory=dir, engine=engine)
        self.stdout.write(f"Style catalog: {created} added, {skipped} already present (kept as is).")
