"""docs/deviations.md names config keys that exist: a renamed or removed key fails here."""

from __future__ import annotations

import re

from test_config_docs import _schema_has


def _named_keys(page: str) -> list[str]:
    """The backticked keys of each table row's last column."""
    keys = []
    for line in page.splitlines():
        if line.startswith("| ") and not line.startswith("| ---") and not line.startswith("| topic"):
            last = line.rstrip(" |").rsplit("|", 1)[-1]
            keys += re.findall(r"`([a-z_][\w.]*)`", last)
    return keys


def test_every_key_the_deviations_page_names_is_in_the_schema(repo, schema):
    keys = _named_keys((repo / "docs" / "deviations.md").read_text())
    assert len(keys) > 30
    unknown = [key for key in keys if "." in key and not _schema_has(schema, key)]
    assert unknown == []
    # Module paths in the last column are files of the package.
    page = (repo / "docs" / "deviations.md").read_text()
    for module in re.findall(r"— \(`([\w/]+\.py)`\)", page):
        assert (repo / "src" / "signal_robustness" / module).is_file(), module


def test_the_check_catches_a_key_the_schema_lacks(schema):
    assert not _schema_has(schema, "timeseries.odenet.no_such_key")
    assert _schema_has(schema, "timeseries.odenet.rollout_window")
