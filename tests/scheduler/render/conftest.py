"""Fixtures shared by the rendering tests: the tiny day with hostile text, and its rota."""

from __future__ import annotations

from .test_sheets import nasty_day, rota

__all__ = ["nasty_day", "rota"]
