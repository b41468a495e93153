"""System tools some tests need (Debian packages that .ci/run installs).

Under CI a missing tool is a failure, never a skip: CI installs them, so a missing one
means the install step broke. On a developer machine the test skips and names the
apt package to install.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(command: str, package: str) -> str:
    """The path of `command`, from Debian package `package`."""
    found = shutil.which(command)
    if found is not None:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{command} missing in CI: .ci/run installs Debian's {package}")
    pytest.skip(f"{command} is not installed (apt-get install {package})")
