"""Validation of the workflow configuration and typed access to it.

``validate_config`` checks a config mapping against the JSON schema and then the
facts a schema cannot express (dataset names, local folders, file contents). It
reports every problem at once, each naming its key and value, and raises before
any job could start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from signal_robustness.data.ucr import DatasetError, archive_files, load_ucr, ucr_source
from signal_robustness.train.classifier import TrainingSettings


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def _key(path: Any) -> str:
    return ".".join(str(part) for part in path) or "<top level>"


def schema_problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every schema violation, phrased as 'config key K: ...'."""
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "additionalProperties":
            known = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - known):
                key = _key([*error.absolute_path, extra])
                problems.append(f"config key '{key}' is not a known key (known here: {sorted(known)})")
        else:
            problems.append(f"config key '{_key(error.absolute_path)}': {error.message}")
    return problems


def data_problems(config: Mapping[str, Any]) -> list[str]:
    """Dataset names and local data that would make a job fail later."""
    problems: list[str] = []
    archive_dir = config.get("ucr_archive_dir")
    if archive_dir is not None and not Path(archive_dir).is_dir():
        problems.append(f"config key 'ucr_archive_dir': {archive_dir!r} is not a folder")
        archive_dir = None
    for name in config["timeseries"]["datasets"]:
        try:
            source = ucr_source(name, archive_dir)
        except DatasetError as error:
            problems.append(f"config key 'timeseries.datasets': {error}")
            continue
        if source == "archive":
            # Local files are read in full now, so a malformed file stops the run before any job.
            try:
                load_ucr(name, archive_dir)
            except DatasetError as error:
                train_path, _ = archive_files(name, archive_dir)
                problems.append(f"config key 'ucr_archive_dir' ({train_path.parent}): {error}")
    return problems


def consistency_problems(config: Mapping[str, Any]) -> list[str]:
    """Relations between keys that the schema cannot state."""
    problems = []
    low, high = config["timeseries"]["augment"]["eps_range"]
    if low > high:
        problems.append(f"config key 'timeseries.augment.eps_range': {[low, high]} is not a range (low > high)")
    unknown_seeds = sorted(set(config["defense"]["seeds"]) - set(config["seeds"]))
    if unknown_seeds:
        problems.append(f"config key 'defense.seeds': {unknown_seeds} are not in 'seeds' {config['seeds']}")
    return problems


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Raise ConfigError listing every problem of ``config``; return None if it is valid."""
    problems = schema_problems(config, schema)
    if not problems:
        problems = consistency_problems(config) + data_problems(config)
    if problems:
        raise ConfigError(problems)


def timeseries_training_settings(section: Mapping[str, Any]) -> TrainingSettings:
    """TrainingSettings from the ``timeseries`` config section (or params built from it)."""
    plateau = section["lr_plateau"]
    return TrainingSettings(
        epochs=int(section["epochs"]),
        batch_size_cap=int(section["batch_size_cap"]),
        learning_rate=float(section["learning_rate"]),
        weight_decay=float(section["weight_decay"]),
        plateau_factor=float(plateau["factor"]),
        plateau_patience=int(plateau["patience"]),
        min_learning_rate=float(plateau["min_lr"]),
    )
