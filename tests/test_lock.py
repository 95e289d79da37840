"""requirements.lock is what `make setup` installs: every entry pinned with a hash, within
pyproject.toml's ranges, equal to the version installed here, and recorded in provenance."""

from __future__ import annotations

import re
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from signal_robustness.provenance import code_version, sha256

ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+) \\\n    --hash=sha256:([0-9a-f]{64})$", re.M)


@pytest.fixture(scope="module")
def lock(repo) -> dict[str, str]:
    text = (repo / "requirements.lock").read_text()
    entries = ENTRY.findall(text)
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(body) == 2 * len(entries), "every entry is a name==version line and its hash"
    return {name.lower(): version for name, version, _ in entries}


def test_the_lock_pins_every_dependency_within_pyproject_s_ranges(repo, lock):
    import tomllib

    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    for line in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(line)
        if requirement.name == "torch":
            assert requirement.name not in lock  # installed first: the machine's CPU or CUDA build
            continue
        assert requirement.name.lower() in lock, requirement.name
        assert requirement.specifier.contains(lock[requirement.name.lower()]), (line, lock[requirement.name.lower()])


def test_the_installed_packages_are_the_locked_ones(lock):
    installed = {name: metadata.version(name) for name in lock}
    assert {name: version for name, version in installed.items() if version != lock[name]} == {}


def test_provenance_records_the_lock_s_hash(repo):
    assert code_version(repo)["requirements_lock_sha256"] == sha256(repo / "requirements.lock")
