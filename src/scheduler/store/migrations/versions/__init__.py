"""One Alembic revision per schema change, oldest first (``down_revision`` links them)."""
