"""The SQLite full-text index of case studies and the triggers that keep it in step.

On PostgreSQL nothing is needed (the search vector is built by the query, practice/search.py).
"""

from django.db import migrations

BODY = "coalesce(new.summary,'') || ' ' || coalesce(new.what_was_done,'') || ' ' || coalesce(new.results,'') || ' ' || coalesce(new.differently,'') || ' ' || coalesce(new.contact_role,'')"

FORWARD = [
    "CREATE VIRTUAL TABLE practice_casestudy_fts USING fts5(title, body, tokenize='porter unicode61')",
    f"""CREATE TRIGGER practice_casestudy_fts_ai AFTER INSERT ON practice_casestudy BEGIN
        INSERT INTO practice_casestudy_fts(rowid, title, body) VALUES (new.id, new.title, {BODY});
    END""",
    f"""CREATE TRIGGER practice_casestudy_fts_au AFTER UPDATE ON practice_casestudy BEGIN
        DELETE FROM practice_casestudy_fts WHERE rowid = old.id;
        INSERT INTO practice_casestudy_fts(rowid, title, body) VALUES (new.id, new.title, {BODY});
    END""",
    """CREATE TRIGGER practice_casestudy_fts_ad AFTER DELETE ON practice_casestudy BEGIN
        DELETE FROM practice_casestudy_fts WHERE rowid = old.id;
    END""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS practice_casestudy_fts_ad",
    "DROP TRIGGER IF EXISTS practice_casestudy_fts_au",
    "DROP TRIGGER IF EXISTS practice_casestudy_fts_ai",
    "DROP TABLE IF EXISTS practice_casestudy_fts",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in FORWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("practice", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
