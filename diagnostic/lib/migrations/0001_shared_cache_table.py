"""The table behind the "shared" cache when there is no Redis (settings.CACHES).

Created whatever the cache settings are now, so a deployment that later drops Redis still has
it; `createcachetable` skips a table that exists.
"""

from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, settings.SHARED_CACHE_TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {settings.SHARED_CACHE_TABLE}")


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create, drop)]
