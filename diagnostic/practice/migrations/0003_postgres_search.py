"""PostgreSQL's full-text index of case studies: a tsvector column kept by a trigger, with a GIN
index. On SQLite nothing is needed (migration 0002 made the FTS5 table).

The column is not a model field: only `practice/search.py` reads it, and the trigger writes it on
every insert and update, so no code path can forget to.
"""

from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(NEW.summary, '') || ' ' || "
    "coalesce(NEW.what_was_done, '') || ' ' || coalesce(NEW.results, '') || ' ' || "
    "coalesce(NEW.differently, '') || ' ' || coalesce(NEW.contact_role, '')), 'B')"
)
FORWARD = [
    "ALTER TABLE practice_casestudy ADD COLUMN search_vector tsvector",
    f"""CREATE FUNCTION practice_casestudy_search_vector() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector := {VECTOR};
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER practice_casestudy_search_vector BEFORE INSERT OR UPDATE
        ON practice_casestudy FOR EACH ROW EXECUTE FUNCTION practice_casestudy_search_vector()""",
    "UPDATE practice_casestudy SET title = title",
    "CREATE INDEX practice_casestudy_search_idx ON practice_casestudy USING GIN (search_vector)",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS practice_casestudy_search_vector ON practice_casestudy",
    "DROP FUNCTION IF EXISTS practice_casestudy_search_vector()",
    "ALTER TABLE practice_casestudy DROP COLUMN IF EXISTS search_vector",
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
    dependencies = [("practice", "0002_fts")]
    operations = [migrations.RunPython(forward, backward)]
