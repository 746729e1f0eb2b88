"""PostgreSQL: the search vector kept in the row, and the GIN index updated at once.

- `search_vector` is about 1.5 kB a case study; with the long text fields beside it a row passes
  the 2 kB TOAST threshold, and PostgreSQL moved the vector (the widest value) out of line, so
  ranking the matches of a search read three extra pages per match (5 ms for 500 matches at
  2,000 case studies, most of a search's time). STORAGE MAIN keeps it in the row (compressed);
  the long text fields, which lists never read (`queries.with_display` defers them), go out of
  line instead. Rows are rewritten once here so existing ones move too.
- `fastupdate = off` on the GIN index: case studies are written rarely and searched often. With
  fast update on, new entries wait in an unsorted pending list until a VACUUM or autoanalyze
  (up to 4 MB of them), and meanwhile the planner costs the index so high that it reads every
  row instead (10 ms for a one-word search after the benchmark's bulk load, 0.3 ms through
  the index).

On SQLite nothing changes (FTS5, migration 0002).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE practice_casestudy ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER INDEX practice_casestudy_search_idx SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('practice_casestudy_search_idx'::regclass)",
    "UPDATE practice_casestudy SET title = title",
]
BACKWARD = [
    "ALTER INDEX practice_casestudy_search_idx RESET (fastupdate)",
    "ALTER TABLE practice_casestudy ALTER COLUMN search_vector SET STORAGE EXTENDED",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in FORWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("practice", "0004_newest_first_index")]
    operations = [migrations.RunPython(forward, backward)]
