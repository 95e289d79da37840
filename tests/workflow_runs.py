"""The tiny configuration and the Snakemake runner that the workflow tests share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
REPO = Path(__file__).resolve().parents[1]
# The tiny configuration (.test/config/config.yaml, the catalog's place for it), merged over config/config.yaml.
TINY = yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text())


def snakemake(repo: Path, workdir: Path, *args: str, config: dict | None = None, timeout: int = 600):
    """Run the repository's workflow in ``workdir`` under umask 022; return the completed process."""
    command = [SNAKEMAKE, "-s", str(repo / "workflow" / "Snakefile"), "--directory", str(workdir), *args]
    if config is not None:
        config_path = workdir / "test_config.yaml"
        config_path.write_text(yaml.safe_dump(config))
        command += ["--configfile", str(config_path)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, umask=0o022)
