"""Throwaway databases for the benchmarks that run manage.py in child processes."""

from pathlib import Path


def fresh_database(url, workdir: Path):
    """The URL of an empty database: the PostgreSQL one named, dropped and created again, or
    (no URL) a SQLite file in the throwaway directory."""
    if not url:
        return f"sqlite:///{workdir / 'db.sqlite3'}"
    drop_database(url)
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url


def drop_database(url):
    """Drop a PostgreSQL benchmark database; a SQLite file goes with its directory."""
    if url.startswith("postgres"):
        import psycopg

        server, name = url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
