"""The migrations build exactly the tables the models describe, on SQLite and on PostgreSQL,
and the newest one (WhatsApp numbers) can be undone and done again without touching the rest."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from atende.db.migrate import alembic_config, upgrade
from atende.db.models import metadata


def sync_url(database_url: str) -> str:
    url = make_url(database_url)
    driver = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return url.set(drivername=driver).render_as_string(hide_password=False)


def differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    assert differences(sync_url(database_url)) == []


def test_the_whatsapp_numbers_migration_goes_down_and_up_again(database_url: str) -> None:
    url = sync_url(database_url)
    before = tables(url)
    assert "whatsapp_numbers" in before
    try:
        command.downgrade(alembic_config(database_url), "0007_messaging")
        assert tables(url) == before - {"whatsapp_numbers"}
    finally:
        upgrade(database_url)
    assert tables(url) == before
    assert differences(url) == []
