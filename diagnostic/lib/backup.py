"""Backups that are proven to restore: `manage.py backup` and `manage.py restore`.

- SQLite: SQLite's online backup API (`sqlite3.Connection.backup`), a consistent copy taken
  while the service runs (WAL readers and writers carry on).
- PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists --no-owner`.

Each backup has a manifest beside it (`<file>.json`): every table's row count and a SHA-256 of
the agreed answers, so a restore can be checked against what was backed up (`verify`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

ANSWER_COLUMNS = ["id", "response_id", "value_code_id", "current_level", "target_level",
                  "target_date", "priority", "comment", "could_share", "want_support", "version"]  # fmt: skip


# --- Reading a database through a plain DB-API connection (the live one or a restored one) ---
def _tables(cursor, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return sorted(r[0] for r in cursor.fetchall())


def counts_and_checksum(conn, vendor: str) -> dict:
    """Every table's row count and the answers' checksum, read through `conn`."""
    cursor = conn.cursor()
    counts = {}
    for table in _tables(cursor, vendor):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (names from the catalogue)
        counts[table] = cursor.fetchone()[0]
    digest = hashlib.sha256()
    columns = ", ".join(ANSWER_COLUMNS)  # constants
    cursor.execute(f"SELECT {columns} FROM assessments_answer ORDER BY id")  # noqa: S608
    for row in cursor.fetchall():
        digest.update(json.dumps([_norm(v) for v in row]).encode())
    cursor.close()
    return {"tables": counts, "answers_sha256": digest.hexdigest()}


def _norm(value):
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, int):
        return value
    return str(value)


def live_state() -> dict:
    connection.ensure_connection()
    return counts_and_checksum(connection.connection, connection.vendor)


# --- Backup ----------------------------------------------------------------------------------
@dataclass
class Backup:
    path: Path
    manifest: dict


def default_path() -> Path:
    folder = Path(os.getenv("BACKUP_DIR", settings.BASE_DIR / "var" / "backups"))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if connection.vendor == "sqlite" else "dump"
    return folder / f"nps-{stamp}.{suffix}"


def backup(path: Path | None = None) -> Backup:
    path = Path(path or default_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = {"taken_at": timezone.now().isoformat(), "vendor": connection.vendor}
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)  # consistent even while others write
            state = counts_and_checksum(target, "sqlite")
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        state = _pg_dump(path)
    else:  # pragma: no cover
        raise RuntimeError(f"no backup for {connection.vendor}")
    manifest.update(state)
    Path(f"{path}.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Backup(path=path, manifest=manifest)


def _pg_dump(path: Path) -> dict:
    """pg_dump of one snapshot, and the manifest read from that same snapshot: a transaction
    exports its snapshot, pg_dump --snapshot dumps exactly it, so writes during the backup
    change neither (the manifest describes the file exactly)."""
    import psycopg

    with psycopg.connect(_pg_url(), password=_pg_password()) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        state = counts_and_checksum(conn, "postgresql")
        args = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                f"--file={path}", _pg_url()]  # fmt: skip
        subprocess.run(args, check=True, capture_output=True, env=_pg_env())  # noqa: S603
        conn.execute("COMMIT")
    return state


# --- Restore ---------------------------------------------------------------------------------
def restore(path: Path, *, into: str | None = None) -> dict:
    """Restore the backup at `path` into the configured database, or `into` (a SQLite file
    path or a PostgreSQL URL: a fresh database for a restore drill). Returns the restored
    database's counts and checksum."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if connection.vendor == "sqlite":
        target_path = into or str(settings.DATABASES["default"]["NAME"])
        if into is None:
            connection.close()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)
            return counts_and_checksum(target, "sqlite")
        finally:
            source.close()
            target.close()
    url = into or _pg_url()
    if into is None:
        connection.close()
    args = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
            f"--dbname={url}", str(path)]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True, env=_pg_env())  # noqa: S603
    import psycopg

    with psycopg.connect(url, password=_pg_password()) as conn:
        return counts_and_checksum(conn, "postgresql")


def verify(manifest: dict, state: dict) -> list[str]:
    """Differences between a backup's manifest and a restored database; empty when equal."""
    problems = []
    for table in sorted(set(manifest["tables"]) | set(state["tables"])):
        want, got = manifest["tables"].get(table), state["tables"].get(table)
        if want != got:
            problems.append(f"{table}: {want} rows backed up, {got} restored")
    if manifest["answers_sha256"] != state["answers_sha256"]:
        problems.append("the answers' checksum differs")
    return problems


# --- PostgreSQL connection details ------------------------------------------------------------
def _pg_url(name: str | None = None) -> str:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or 5432
    user = quote(db.get("USER") or "")
    return f"postgresql://{user}@{host}:{port}/{quote(name or db['NAME'])}"


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program (the arguments passed to it are ours)."""
    import shutil

    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed (Debian: apt install postgresql-client)")
    return found


def _pg_password() -> str | None:
    return settings.DATABASES["default"].get("PASSWORD") or None


def _pg_env() -> dict:
    env = dict(os.environ)
    password = _pg_password()
    if password:
        env["PGPASSWORD"] = password  # not on the command line, where ps would show it
    return env


def pg_url_for(name: str) -> str:
    return _pg_url(name)


def database_name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
