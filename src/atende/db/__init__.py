"""Database engine, sessions, the shared declarative base and the Alembic migrations."""
