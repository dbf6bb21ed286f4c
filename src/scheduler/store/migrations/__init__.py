"""Alembic migrations of the rota store (run by :func:`carerounds.scheduler.store.open_store`)."""
