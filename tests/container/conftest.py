"""Shared by the container tests: podman with this machine's limits, and the image, built once."""

from __future__ import annotations

import pytest

from tests.container.podman import Podman, build_image


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    return Podman(tmp_path_factory.mktemp("podman"))


@pytest.fixture(scope="session")
def image() -> str:
    """`make image` on this checkout (layers cached by podman: a rebuild after no change is quick)."""
    return build_image()
