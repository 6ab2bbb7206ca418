"""python manage.py build_styles: regenerate styles/ (the default catalog) deterministically."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from stylize import catalog


class Command(BaseCommand):
    help = "Render the 26 learned painting styles onto a fixed canvas → styles/*.jpg + catalog.json"

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "styles"))
        parser.add_argument("--side", type=int, default=catalog.SIDE, help="image size, px")
        parser.add_argument("--only", type=int, nargs="*", help="style indexes (0-25) to build")

    def handle(self, *args, out, side, only, **opts):
        started = time.perf_counter()
        entries = catalog.build(Path(out), side=side, only=only)
        self.stdout.write(f"{len(entries)} styles written to {out} "
                          f"in {time.perf_counter() - started:.1f}s")
