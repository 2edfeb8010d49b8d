"""Environments without any of the app's settings, so a developer's shell or a stray `.env` cannot leak
into a test that means to start from nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contactcenter.settings import Settings

# Every environment variable the app reads a setting from, straight from the Settings model.
SETTING_NAMES = tuple(field.alias for field in Settings.model_fields.values() if field.alias)


def clean_env(**settings: str) -> dict[str, str]:
    """A subprocess environment: this one without the app's settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    return {**env, **settings}


def clear_settings(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """Unset the app's settings in this process and move to `workdir`, where no `.env` is."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(workdir)
