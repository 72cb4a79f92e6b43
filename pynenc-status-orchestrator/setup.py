"""The version and the client pin come from the repo's package.json: one version for npm, PyPI and Go.

Built from a checkout, package.json is one folder up. Built from the sdist (python -m build builds
the wheel from it), package.json is not there and PKG-INFO, which setuptools wrote into the sdist
from the same number, is read instead.
"""

import json
from email.parser import Parser
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def _version() -> str:
    package_json = HERE.parent / "package.json"
    if package_json.is_file():
        return json.loads(package_json.read_text(encoding="utf-8"))["version"]
    pkg_info = HERE / "PKG-INFO"
    if pkg_info.is_file():
        return Parser().parsestr(pkg_info.read_text(encoding="utf-8"))["Version"]
    raise SystemExit("pynenc-status-orchestrator: no ../package.json nor PKG-INFO to read the version from")


VERSION = _version()

setup(
    version=VERSION,
    install_requires=[
        "pynenc>=0.4,<0.5",
        # The generated client of the same release: the plugin speaks exactly its proto.
        f"pynenc-status-client=={VERSION}",
        "grpcio>=1.85.1",
        "grpcio-status>=1.85.1",
        "protobuf>=7.35.1,<8",
    ],
)
