"""Every snakemake command the README, docs/ and config/README.md show parses and plans as
written: each is run as a dry run, on the rehearsal's local data (the paper config's with the
rehearsal overlay too, so no download is needed), in a scratch folder."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from workflow_runs import SNAKEMAKE, snakemake

from signal_robustness.rehearsal import PRETRAINED_MODELS, prepare_rehearsal_data

DOCUMENTS = ["README.md", "config/README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md"))]
COMMAND = re.compile(r"(?:^|`|\s)((?:\.venv/bin/)?snakemake(?: [^`#\n]*)?)")


def documented_commands() -> list[tuple[str, str]]:
    """(document:line, command) of every snakemake command in a code block or code span."""
    found = {}
    for document in DOCUMENTS:
        in_block = False
        for number, line in enumerate((REPO / document).read_text().splitlines(), 1):
            if line.startswith("```"):
                in_block = not in_block
                continue
            spans = [line] if in_block else re.findall(r"`([^`]+)`", line)
            for span in spans:
                for match in COMMAND.finditer(span):
                    command = match.group(1).strip()
                    if command.split()[0].endswith("snakemake") and command not in found:
                        found[command] = f"{document}:{number}"
    return [(where, command) for command, where in found.items()]


COMMANDS = documented_commands()


def test_the_documents_show_the_commands_this_test_runs():
    # The README's paper-scale steps are among them: a broken extraction would pass silently.
    commands = [command for _, command in COMMANDS]
    assert any("download_data" in command and "paper.yaml" in command for command in commands)
    assert any("--profile profiles/slurm" in command for command in commands)
    assert len(commands) >= 10


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A folder holding the rehearsal's data (data.yaml) and the README's my.yaml."""
    folder = tmp_path_factory.mktemp("documented")
    overlay = prepare_rehearsal_data(folder / "data", models=("resnet18",))
    # A dry run reads no weights, only checks that the files exist: one stands in for all.
    weights = overlay["audio"]["pretrained_weights"]["resnet18"]
    overlay["audio"]["pretrained_weights"] = dict.fromkeys(PRETRAINED_MODELS, weights)
    (folder / "data.yaml").write_text(yaml.safe_dump(overlay))
    readme = (REPO / "README.md").read_text()
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", readme, re.S) if block.startswith("# my.yaml"))
    (folder / "my.yaml").write_text(example)
    return folder


# What a run writes: a target there stays relative to the run's folder, even where the checkout
# holds one from an earlier run (CI's rehearsal runs in the same clone before the tests).
OUTPUT_FOLDERS = ("results/", "resources/", "logs/", "benchmarks/")
# Where the docs write the path of a user's UCR archive.
ARCHIVE_PLACEHOLDER = "/path/to/UCRArchive_2018"


def _repository_file(word: str) -> bool:
    """A config file, profile or other path of the repository that the command reads."""
    return "/" in word and not word.startswith(OUTPUT_FOLDERS) and (REPO / word).exists()


def as_dry_run(command: str, scratch: Path) -> list[str]:
    """The documented command as this test runs it: the repository's Snakefile in a scratch
    folder, its paths made absolute, the rehearsal's overlays after its config files, -n."""
    words = shlex.split(command)[1:]
    words = [
        str(scratch / word) if word == "my.yaml" else str(REPO / word) if _repository_file(word) else word
        for word in words
    ]
    # The docs' placeholder for a user's copy of the archive: the rehearsal's, or an empty folder.
    archive = yaml.safe_load((scratch / "data.yaml").read_text()).get("ucr_archive_dir") or str(scratch)
    words = [word.replace(f"={ARCHIVE_PLACEHOLDER}", f"={archive}") for word in words]
    if "--configfile" in words:
        start = words.index("--configfile") + 1
        end = next((i for i in range(start, len(words)) if words[i].startswith("-")), len(words))
        files = words[start:end]
        overlays = [str(scratch / "data.yaml")]
        if any(file.endswith("config/paper.yaml") for file in files):
            overlays.insert(0, str(REPO / "config" / "rehearsal.yaml"))
        words[end:end] = overlays
    dry = [] if "--report" in words or "--lint" in words else ["-n"]
    return dry + words


@pytest.mark.parametrize("where, command", COMMANDS, ids=[where for where, _ in COMMANDS])
def test_a_documented_command_runs(where, command, scratch, tmp_path):
    words = as_dry_run(command, scratch)
    done = snakemake(REPO, tmp_path, *words, timeout=300)
    out = done.stdout + done.stderr
    if "--report" in words and "marked for report but does not exist" in out:
        # A report needs a finished run: this one parsed, planned and reached the results it
        # reports (the end-to-end test and the rehearsal write the report itself).
        assert "Creating report..." in out
    else:
        assert done.returncode == 0, f"{where}: {command}\nran: {SNAKEMAKE} {shlex.join(words)}\n{out[-3000:]}"
    shutil.rmtree(tmp_path / ".snakemake", ignore_errors=True)
