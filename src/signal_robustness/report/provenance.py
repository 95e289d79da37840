"""The provenance record as a page of the Snakemake report."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd
import yaml


def _table(rows: list[dict[str, Any]]) -> str:
    return pd.DataFrame(rows).to_html(index=False, border=0, escape=True, na_rep="")


def provenance_html(record: Mapping[str, Any]) -> str:
    """One HTML page: code, device, packages, raw inputs (a digest per dataset, every file below), results, config."""
    code = record["code"]
    commit = code["commit"] or f"not a git checkout (package {code['package_version']})"
    dirty = {True: "yes: uncommitted changes to " + ", ".join(code["changed_files"]), False: "no", None: "unknown"}[
        code["dirty"]
    ]
    datasets = [
        {"input": name, "files": entry["files"], "bytes": entry["bytes"], "sha256 of the set": entry["sha256"]}
        for name, entry in record["raw_inputs"].items()
    ]
    files = "".join(
        f"<details><summary>{html.escape(name)}: {entry['files']} files</summary>{_table(entry['list'])}</details>"
        for name, entry in record["raw_inputs"].items()
    )
    device = [{"key": key, "value": str(value)} for key, value in record["device"].items()]
    packages = [
        {"package": name, "version": version or "not installed"} for name, version in record["packages"].items()
    ]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Provenance</title>
<style>body{{font-family:sans-serif;margin:1em}} table{{border-collapse:collapse;font-size:90%}}
td,th{{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}} code,pre{{font-size:85%}}</style></head><body>
<h2>Code</h2><p>commit <code>{html.escape(commit)}</code>; uncommitted changes: {html.escape(dirty)}</p>
<h2>Device</h2>{_table(device)}
<h2>Raw inputs</h2>{_table(datasets)}{files}
<h2>Results covered</h2>{_table(record["results"])}
<h2>Packages</h2>{_table(packages)}
<h2>Resolved configuration</h2><pre>{html.escape(yaml.safe_dump(dict(record["config"]), sort_keys=False))}</pre>
</body></html>
"""
