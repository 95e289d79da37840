"""The raw files a configuration reads, and the digests of their contents.

Raw files are the ones the workflow does not write: a local UCR archive's TSVs (or aeon's
bundled ``.ts`` files), a local audio set's metadata and clips, pretrained weights. The
rules that read them carry their digest as a param, Snakemake's rerun trigger, so a
corrected copy restored with its old time stamp (``cp -p``, ``rsync -a``, unzip) still
reruns what depends on it; the provenance record states the same files. Downloads are
rule outputs and tracked by Snakemake already: they get no digest. Torch-free: every
cluster job parses the rule files again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signal_robustness.config import audio_source_folder
from signal_robustness.data.audio import AUDIO_DATASETS, read_clip_table
from signal_robustness.data.ucr import ucr_files
from signal_robustness.provenance import content_digest

# The generated sound set's folder (rule synthetic_audio writes it).
SYNTHETIC_SOURCE = "results/audio/synthetic/source"
# Hashes cached by each file's size, mtime, inode and ctime: a parse rehashes only files that
# changed, and no copy can set a ctime back.
CONTENT_CACHE = ".snakemake/signal_robustness/content_sha256.json"


@functools.cache
def listed_clips(dataset: str, folder: str) -> tuple[str, ...]:
    """The clip files the metadata of ``dataset`` in ``folder`` lists (read once per parse);
    ``AudioDatasetError`` names a bad table."""
    return tuple(str(Path(folder) / path) for path in read_clip_table(dataset, folder)["path"])


@dataclass(frozen=True)
class RawSources:
    """The raw inputs of one validated configuration."""

    config: Mapping[str, Any]
    cache: str = CONTENT_CACHE

    # --- UCR ---
    def ucr_inputs(self, dataset: str) -> dict[str, str]:
        """The two files a UCR set is read from: the local archive's TSVs, aeon's bundled
        ``.ts`` files, or the ``.ts`` files download_ucr fetches."""
        _, train, test = ucr_files(dataset, self.config["ucr_archive_dir"], self.config["download_dir"])
        return {"train": str(train), "test": str(test)}

    def ucr_digest(self, dataset: str) -> str | None:
        source, train, test = ucr_files(dataset, self.config["ucr_archive_dir"], self.config["download_dir"])
        return None if source == "download" else content_digest([train, test], self.cache)

    # --- audio ---
    def audio_folder(self, dataset: str) -> str:
        """The folder a sound set is read from: generated, local or downloaded."""
        return SYNTHETIC_SOURCE if dataset == "synthetic" else audio_source_folder(self.config["audio"], dataset)[0]

    def audio_is_downloaded(self, dataset: str) -> bool:
        return dataset != "synthetic" and not audio_source_folder(self.config["audio"], dataset)[1]

    def audio_inputs(self, dataset: str) -> dict[str, Any]:
        """What reading ``dataset`` reads: its metadata CSV and every clip it lists (the
        generated set's folder for synthetic). A downloaded set must be on disk already."""
        if dataset == "synthetic":
            return {"folder": SYNTHETIC_SOURCE}
        folder = self.audio_folder(dataset)
        return {
            "metadata": str(Path(folder) / AUDIO_DATASETS[dataset].metadata),
            "clips": list(listed_clips(dataset, folder)),
        }

    def audio_digest(self, dataset: str) -> str | None:
        if dataset == "synthetic" or self.audio_is_downloaded(dataset):
            return None
        files = self.audio_inputs(dataset)
        return content_digest([files["metadata"], *files["clips"]], self.cache)

    # --- the run ---
    def digests(self) -> dict[str, str | None]:
        """Per configured dataset, the digest of its raw files: the provenance record is
        rewritten whenever one changes, so it never states an old hash."""
        return {
            **{f"ucr/{d}": self.ucr_digest(d) for d in self.config["timeseries"]["datasets"]},
            **{f"audio/{d}": self.audio_digest(d) for d in self.config["audio"]["datasets"]},
        }

    def provenance_inputs(
        self, pretrained_weights: Callable[[str], str], audio_inputs: Callable[[str], Mapping[str, Any]] | None = None
    ) -> dict[str, list[str]]:
        """Every raw file of the configured datasets and pretrained networks, by name.
        ``audio_inputs`` replaces ``self.audio_inputs`` (the rules wait there for a download)."""
        audio_inputs = audio_inputs or self.audio_inputs
        inputs = {f"ucr/{d}": list(self.ucr_inputs(d).values()) for d in self.config["timeseries"]["datasets"]}
        for dataset in self.config["audio"]["datasets"]:
            files = audio_inputs(dataset)
            inputs[f"audio/{dataset}"] = (
                [files["folder"]] if "folder" in files else [files["metadata"], *files["clips"]]
            )
        audio = self.config["audio"]
        for model in audio["pretrained_weights"]:
            if model in audio["models"]:
                inputs[f"pretrained/{model}"] = [pretrained_weights(model)]
        return inputs
