"""The database cache's table comes with `migrate` (it used to need `createcachetable`).

django-q2 keeps its cluster statistics in Django's cache; the default cache is the
database (settings.CACHES), so a deployment that only ran `migrate` lacked the table.
`createcachetable` only creates tables for caches that use the database, and only if
missing, so this is safe with Redis or any other cache configured.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("gallery", "0008_budgets")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
