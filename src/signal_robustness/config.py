"""Validation of the workflow configuration and typed access to it.

``validate_config`` checks a config mapping against the JSON schema and then the
facts a schema cannot express (dataset names, local folders, file contents). It
reports every problem at once, each naming its key and value, and raises before
any job could start.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import jsonschema
import yaml

from signal_robustness.attacks.settings import (
    BudgetGrid,
    JSMASettings,
    changed_features,
    jsma_iterations_needed,
    jsma_iterations_per_feature,
)
from signal_robustness.catalog import (  # noqa: F401 (PRETRAINED_DIR re-exported)
    IMAGE_BOUNDS,
    MIN_IMAGE_SIDE,
    PRETRAINED_DIR,
    SMOOTHED_METHODS,
    image_features,
)
from signal_robustness.data.audio import (
    AUDIO_DATASETS,
    AudioDatasetError,
    audio_split,
    clip_header_problems,
    random_split_problems,
    read_clip_table,
)
from signal_robustness.data.synthetic_audio import synthetic_metadata
from signal_robustness.data.ucr import DatasetError, archive_files, load_ucr, ucr_download_cached, ucr_source
from signal_robustness.errors import InputError


class ConfigError(InputError):
    """The configuration is invalid; the message lists every problem."""

    heading = "invalid configuration:"

    def __init__(self, problems: list[str], footer: str = ""):
        self.problems = problems
        super().__init__("\n".join([self.heading, *(f"  - {p}" for p in problems), *([footer] if footer else [])]))


class MissingDataError(ConfigError):
    """Data the configuration names is not on disk and ``missing_data`` is ``stop``."""

    heading = "missing data (config key 'missing_data' is 'stop'), nothing was run:"


# How to get what missing_datasets lists; printed once under the list.
HOW_TO_GET_MISSING_DATA = """How to get it, either way:
  - download it by name, once, on a host with a network: the same command with
    `--config missing_data=download -- download_data` at its end (`--` ends the config
    entries; the target follows it). aeon fetches UCR sets by name; soundata fetches ESC-50
    and UrbanSound8K and checks their checksums; torchvision fetches ImageNet weights and
    checks their hashes; on SLURM these jobs run on the submitting host;
  - or point the key named above at a local copy: 'ucr_archive_dir' (the UCR 2018 archive's
    <Name>/<Name>_TRAIN.tsv layout) or 'audio.local_dirs.<dataset>' (the dataset's own layout)."""


def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    # libyaml's loader where PyYAML was built with it: the schema is read at every parse, ten times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(), Loader=loader)  # noqa: S506 (a safe loader)


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


# A config holds a few hundred values; anchors and aliases that expand past this are refused
# (an "alias bomb" of a few lines expands to billions and would exhaust memory when read).
MAX_CONFIG_VALUES = 100_000


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Values a YAML node graph expands to, each shared (aliased) node counted once per use;
    linear in the distinct nodes."""
    if id(node) not in sizes:
        children = (
            [part for pair in node.value for part in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
            if isinstance(node, yaml.SequenceNode)
            else []
        )
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[id(node)]


def _duplicate_keys(node: yaml.Node, path: tuple[str, ...], seen: set[int]) -> Iterator[str]:
    """'key K (line L)' for every mapping key written twice, which YAML loaders resolve silently."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in lines and key != "<<":
                yield f"key '{_key([*path, key])}' is written twice (lines {lines[key]} and {line}); YAML keeps the last silently"
            lines.setdefault(key, line)
            yield from _duplicate_keys(value_node, (*path, key), seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, str(index)), seen)


def _yaml_error(error: yaml.MarkedYAMLError) -> str:
    """A YAML parse error on one line: where, what, and what it was parsing."""
    mark = error.problem_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
    text = f"cannot be read as YAML at {where}: {error.problem}"
    if error.context and error.context_mark:
        text += f" ({error.context} that starts at line {error.context_mark.line + 1})"
    return text


def config_file_problems(paths: Sequence[str | os.PathLike]) -> list[str]:
    """What Snakemake's YAML reading lets through in the config files: an empty file, a key
    written twice, aliases that expand without bound. Each problem names the file."""
    problems = []
    for path in paths:
        if not Path(path).is_file():
            problems.append(f"config file {path} does not exist")
            continue
        try:
            root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            problems.append(f"config file {path}: {_yaml_error(error)}")
            continue
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(f"config file {path}: cannot be read as YAML ({error})")
            continue
        if root is None:
            problems.append(f"config file {path} is empty")
            continue
        size = _expanded_size(root, {})
        if size > MAX_CONFIG_VALUES:
            problems.append(
                f"config file {path}: its anchors and aliases expand to {size:,} values (a config holds hundreds; "
                f"at most {MAX_CONFIG_VALUES:,} are read)"
            )
            continue
        problems += [f"config file {path}: {problem}" for problem in _duplicate_keys(root, (), set())]
    return problems


# numpy's legacy generators and many libraries take seeds below 2**32; a larger one fails in a job.
MAX_SEED = 2**32 - 1


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(key path, value) of every scalar in a nested config."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _is_seed(path: tuple[Any, ...]) -> bool:
    names = [str(part) for part in path if isinstance(part, str)]
    return bool(names) and (names[-1] == "seed" or names[-1].endswith("_seed") or names[-1] == "seeds")


def number_problems(config: Mapping[str, Any]) -> list[str]:
    """Numbers a schema's 'number' lets through: NaN and infinities (an 'attack' of budget
    .inf, a sigma of .nan), and seeds outside [0, 2**32 - 1]."""
    problems = []
    for path, value in _leaves(config):
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"config key '{_key(path)}': {value} is not a finite number")
        elif _is_seed(path) and isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_SEED:
            problems.append(f"config key '{_key(path)}': seed {value} is outside 0..{MAX_SEED}")
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
                load_ucr(name, archive_dir, missing_values=config["timeseries"]["missing_values"])
            except DatasetError as error:
                train_path, _ = archive_files(name, archive_dir)
                problems.append(f"config key 'ucr_archive_dir' ({train_path.parent}): {error}")
    return problems + audio_data_problems(config["audio"])


def missing_datasets(config: Mapping[str, Any]) -> list[str]:
    """Every configured dataset the run would have to download, each naming the key that would hold it.

    A UCR set is present when it is in the local archive, bundled with aeon, or already in
    aeon's download folder; an audio set when its folder holds the dataset's metadata CSV.
    """
    missing = []
    archive_dir = config.get("ucr_archive_dir")
    for name in config["timeseries"]["datasets"]:
        try:
            source = ucr_source(name, archive_dir)
        except DatasetError:
            continue  # an unknown name is reported by data_problems
        if source == "download" and not ucr_download_cached(name, config["download_dir"]):
            missing.append(
                f"UCR dataset {name!r} (timeseries.datasets): not in 'ucr_archive_dir' ({archive_dir}), "
                f"not bundled with aeon, not downloaded to 'download_dir' ({Path(config['download_dir']) / name})"
            )
    audio = config["audio"]
    for dataset in audio["datasets"]:
        if dataset == "synthetic":
            continue
        folder, local = audio_source_folder(audio, dataset)
        spec = AUDIO_DATASETS[dataset]
        if not local and not (Path(folder) / spec.metadata).is_file():
            missing.append(
                f"audio dataset {dataset!r} (audio.datasets): 'audio.local_dirs.{spec.folder_key}' is null and "
                f"'audio.download_dir' holds no {Path(folder) / spec.metadata}"
            )
    for model, value in audio["pretrained_weights"].items():
        path = Path(PRETRAINED_DIR) / f"{model}_imagenet.pt"
        if value == "imagenet" and model in audio["models"] and not path.is_file():
            missing.append(f"ImageNet weights of {model!r} (audio.pretrained_weights): not in {path}")
    return missing


def audio_source_folder(audio: Mapping[str, Any], dataset: str) -> tuple[str, bool]:
    """(folder holding ``dataset`` in its own layout, whether it is a configured local copy)."""
    folder_key = AUDIO_DATASETS[dataset].folder_key
    local = audio["local_dirs"].get(folder_key)
    if local is not None:
        return str(local), True
    return str(Path(audio["download_dir"]) / folder_key), False


def audio_split_problems(dataset: str, table: Any, split: Mapping[str, Any]) -> list[str]:
    """Whether the configured split can be drawn from ``table`` and gives every fold every class, for every seed."""
    if split["protocol"] == "random":
        counts = table["label"].value_counts().to_dict()
        return [
            f"config key 'audio.split': {dataset}: {problem}"
            for problem in random_split_problems(counts, split["test_fraction"], split["cv_folds"])
        ]
    try:
        # The official folds draw nothing: the paper does not matter.
        assignment = audio_split(table, split["protocol"], 0, test_fold=split["test_fold"])
    except ValueError as error:
        return [f"config key 'audio.split': {dataset}: {error}"]
    n_folds = assignment.loc[assignment["role"] == "development", "cv_fold"].nunique()
    if split["train_folds"] > n_folds:
        return [
            f"config key 'audio.split.train_folds': {split['train_folds']} exceeds {dataset}'s {n_folds} development folds"
        ]
    return []


def audio_data_problems(audio: Mapping[str, Any]) -> list[str]:
    """Local audio folders, splits and pretrained weights that are missing, malformed or impossible."""
    problems = []
    for dataset in audio["datasets"]:
        if dataset == "synthetic":
            layout = synthetic_metadata(audio["synthetic"]["clips_per_class"])
            problems += audio_split_problems(dataset, layout.assign(label=layout["target"]), audio["split"])
            continue
        folder, local = audio_source_folder(audio, dataset)
        key = f"audio.local_dirs.{AUDIO_DATASETS[dataset].folder_key}"
        if local and not Path(folder).is_dir():
            problems.append(f"config key '{key}': {folder!r} is not a folder")
            continue
        # A download folder is checked once it exists; before that, soundata fills it.
        if local or (Path(folder) / AUDIO_DATASETS[dataset].metadata).exists():
            where = key if local else "audio.download_dir"
            try:
                table = read_clip_table(dataset, folder)
            except AudioDatasetError as error:
                problems.append(f"config key '{where}': {error}")
                continue
            # Headers only (no decoding): a few milliseconds a clip, before any job.
            clips = clip_header_problems(dataset, table, folder)
            problems += [f"config key '{where}': {dataset}: {problem}" for problem in clips[:10]]
            if len(clips) > 10:
                problems.append(f"config key '{where}': {dataset}: and {len(clips) - 10} more clips like these")
            problems += audio_split_problems(dataset, table, audio["split"])
    for model, path in audio["pretrained_weights"].items():
        if path == "imagenet":
            if model == "resnet56":
                problems.append(
                    "config key 'audio.pretrained_weights.resnet56': ResNet-56 (He et al.'s CIFAR network) has no ImageNet weights"
                )
            continue
        if not Path(path).is_file():
            problems.append(f"config key 'audio.pretrained_weights.{model}': {path!r} is not a file")
    return problems


def cwt_sample_rate(audio: Mapping[str, Any], dataset: str) -> int:
    """The configured CWT rate, or the paper's rate for ``dataset``."""
    configured = audio["cwt"]["sample_rate"]
    return int(configured) if configured is not None else AUDIO_DATASETS[dataset].cwt_sample_rate


def audio_attack_problems(audio: Mapping[str, Any]) -> list[str]:
    """Every attack search that could not run: an unknown attack or parameter, a budget its builder refuses."""
    if not audio["attacks"]["methods"]:
        return []
    problems = []
    for name, spec in audio["attacks"]["methods"].items():
        try:
            BudgetGrid.from_config(name, spec).check()
        except ValueError as error:
            message = str(error)
            prefix = f"config key 'audio.attacks.methods.{name}'"
            problems.append(message if message.startswith(prefix) else f"{prefix}: {message}")
    jsma = audio["attacks"]["methods"].get("jsma")
    if jsma and not problems:
        problems += jsma_grid_problems(jsma, audio)
    return problems


def jsma_grid_problems(jsma: Mapping[str, Any], audio: Mapping[str, Any]) -> list[str]:
    """A JSMA grid whose largest gamma its iteration cap cannot reach on some representation's
    images: one feature changes per iteration, so the run would stop short and the AUC be read
    at a gamma never attained."""
    params, cap = jsma.get("params", {}), jsma.get("params", {}).get("max_iterations")
    if cap is None or jsma.get("budget") != "gamma":
        return []
    theta, gamma = params.get("theta", JSMASettings.theta), max(jsma["grid"])
    problems = []
    for representation in audio["representations"]:
        n_features = image_features(representation, audio["image"])
        if jsma_iterations_needed(gamma, n_features, theta, IMAGE_BOUNDS) > cap:
            per_feature = jsma_iterations_per_feature(theta, IMAGE_BOUNDS)
            problems.append(
                f"config key 'audio.attacks.methods.jsma': gamma {gamma} changes "
                f"{changed_features(gamma, n_features):,} of the {n_features:,} features of a {representation} "
                f"image, {per_feature} iteration(s) each, beyond max_iterations {cap}: lower the grid's largest "
                f"gamma to at most {cap // per_feature / n_features:.3g} or raise max_iterations"
            )
    return problems


def audio_consistency_problems(audio: Mapping[str, Any]) -> list[str]:
    problems = audio_attack_problems(audio)
    for dataset in audio["datasets"]:
        rate = cwt_sample_rate(audio, dataset)
        if rate > audio["sample_rate"]:
            problems.append(
                f"config key 'audio.cwt.sample_rate': {dataset}'s CWT rate {rate} Hz exceeds 'audio.sample_rate' "
                f"{audio['sample_rate']} Hz, which clips are resampled to first"
            )
        if audio["cwt"]["min_frequency"] >= 0.45 * rate:
            problems.append(
                f"config key 'audio.cwt.min_frequency': {audio['cwt']['min_frequency']} Hz is not below 0.45 x {dataset}'s CWT rate {rate} Hz"
            )
    side = min(audio["image"]["height"], audio["image"]["width"])
    for model in audio["models"]:
        if side < MIN_IMAGE_SIDE[model]:
            problems.append(
                f"config key 'audio.image': {model} needs images of at least {MIN_IMAGE_SIDE[model]} x {MIN_IMAGE_SIDE[model]}, "
                f"got {audio['image']['height']} x {audio['image']['width']}"
            )
    pretrained = set(audio["pretrained_weights"]) & set(audio["models"])
    if audio["training"]["fine_tuned_layers"] == "input_output" and not pretrained:
        problems.append(
            "config key 'audio.training.fine_tuned_layers': 'input_output' freezes pretrained weights, but no model of "
            f"'audio.models' {audio['models']} has any in 'audio.pretrained_weights': every layer would learn"
        )
    split = audio["split"]
    if split["protocol"] == "random" and split["train_folds"] > split["cv_folds"]:
        problems.append(
            f"config key 'audio.split.train_folds': {split['train_folds']} exceeds 'audio.split.cv_folds' {split['cv_folds']}"
        )
    if split["protocol"] == "official":
        for dataset in audio["datasets"]:
            n_folds = AUDIO_DATASETS[dataset].n_folds
            if split["test_fold"] > n_folds:
                problems.append(
                    f"config key 'audio.split.test_fold': {split['test_fold']} is not a fold of {dataset} (1..{n_folds})"
                )
            if split["train_folds"] > n_folds - 1:
                problems.append(
                    f"config key 'audio.split.train_folds': {split['train_folds']} exceeds {dataset}'s {n_folds - 1} development folds"
                )
    return problems


def consistency_problems(config: Mapping[str, Any]) -> list[str]:
    """Relations between keys that the schema cannot state."""
    problems = []
    low, high = config["timeseries"]["augment"]["eps_range"]
    if low > high:
        problems.append(f"config key 'timeseries.augment.eps_range': {[low, high]} is not a range (low > high)")
    attacks = config["timeseries"]["attacks"]
    if attacks["eps_curve"] is not None and attacks["bim"]["eps"] == 0:
        # The curve scales BIM's step with eps: a step set for eps 0 gives no ratio.
        problems.append(
            "config key 'timeseries.attacks.bim.eps': 0 leaves no step-to-budget ratio for "
            "'timeseries.attacks.eps_curve'; give bim an eps > 0 or set eps_curve to null"
        )
    audio = config["audio"]
    subsets = (
        ("defense.seeds", config["defense"]["seeds"], "seeds", config["seeds"]),
        ("robustness.seeds", config["robustness"]["seeds"], "seeds", config["seeds"]),
        ("audio.seeds", audio["seeds"], "seeds", config["seeds"]),
        ("audio.attacks.seeds", audio["attacks"]["seeds"], "audio.seeds", audio["seeds"]),
    )
    for key, seeds, parent_key, parent in subsets:
        unknown_seeds = sorted(set(seeds) - set(parent))
        if unknown_seeds:
            problems.append(f"config key '{key}': {unknown_seeds} are not in '{parent_key}' {parent}")
    if config["defense"]["audio"] is not None and not set(config["defense"]["seeds"]) & set(audio["seeds"]):
        problems.append(
            f"config key 'defense.audio': no seed is in both 'defense.seeds' {config['defense']['seeds']} "
            f"and 'audio.seeds' {audio['seeds']}, so no audio model would be defended"
        )
    robustness = config["robustness"]
    if robustness["audio"] is not None and not set(robustness["seeds"]) & set(audio["seeds"]):
        problems.append(
            f"config key 'robustness.audio': no seed is in both 'robustness.seeds' {robustness['seeds']} "
            f"and 'audio.seeds' {audio['seeds']}, so no audio model would be evaluated"
        )
    noise_training = audio["noise_training"]
    if noise_training is not None and set(noise_training["models"]) - set(audio["models"]):
        problems.append(
            f"config key 'audio.noise_training.models': {sorted(set(noise_training['models']) - set(audio['models']))} "
            f"not in 'audio.models' {audio['models']}"
        )
    noise_trained_audio = noise_training is not None and set(robustness["seeds"]) & set(audio["seeds"])
    if (
        robustness["smoothing"] is not None
        and not set(config["timeseries"]["methods"]) & SMOOTHED_METHODS
        and not noise_trained_audio
    ):
        problems.append(
            "config key 'robustness.smoothing': no model to certify: add gaussian_noise to 'timeseries.methods' "
            "or set 'audio.noise_training' (the base classifiers smoothing certifies), or set robustness.smoothing "
            "to null"
        )
    fractions = robustness["eps_fractions"]
    if not {0, 1} <= set(fractions):
        problems.append(f"config key 'robustness.eps_fractions': {fractions} must hold 0 (the clean check) and 1 (eps)")
    methods = set(config["timeseries"]["methods"]) | {"baseline"}
    if {"out_sign_grad", "out_sign_grad_online"} <= methods and (
        config["timeseries"]["augment"]["out_sign_grad_model"] == "online"
    ):
        problems.append(
            "config key 'timeseries.methods': out_sign_grad and out_sign_grad_online would both be the online "
            "reading, as 'timeseries.augment.out_sign_grad_model' is 'online'; set it to 'baseline' to train both "
            "readings, or drop one"
        )
    labels = methods | {f"{m}+feat_sim" for m in methods if True in config["timeseries"]["feat_sim"]}
    certified, smoothing = config["benchmark"]["certified"], robustness["smoothing"]
    if certified and not smoothing:  # the column would be left out without a word
        problems.append(
            "config key 'benchmark.certified': no model is certified, as 'robustness.smoothing' is null; "
            "configure smoothing or set benchmark.certified to null"
        )
    if certified and smoothing:
        sigma = min(smoothing["sigmas"]) if certified["sigma"] is None else certified["sigma"]
        if not any(abs(sigma - s) <= 1e-12 for s in smoothing["sigmas"]):
            problems.append(
                f"config key 'benchmark.certified.sigma': {sigma} is not certified; "
                f"one of robustness.smoothing.sigmas {smoothing['sigmas']}"
            )
        elif certified["radius"] > (reach := max_certifiable_radius(sigma, smoothing["n"], smoothing["alpha"])):
            # Every point would count as not certified: a column of zeros that says nothing.
            problems.append(
                f"config key 'benchmark.certified.radius': {certified['radius']} can never be certified with "
                f"sigma {sigma}, n {smoothing['n']} and alpha {smoothing['alpha']} (robustness.smoothing): "
                f"at most {reach:.3g}, when all n noisy copies agree; lower the radius or raise n"
            )
    if config["benchmark"]["baseline"] not in labels:
        problems.append(
            f"config key 'benchmark.baseline': {config['benchmark']['baseline']!r} is not a trained method; "
            f"one of {sorted(labels)}"
        )
    return problems + audio_consistency_problems(config["audio"])


def max_certifiable_radius(sigma: float, n: int, alpha: float) -> float:
    """The largest L2 radius Cohen et al.'s CERTIFY can give with ``n`` noise draws at level
    ``alpha``: σ · Φ⁻¹(α^(1/n)), the one-sided Clopper–Pearson lower bound when all ``n`` agree
    (``evaluate.smoothing`` computes the same without this closed form, and imports torch)."""
    return sigma * NormalDist().inv_cdf(alpha ** (1 / n))


# Keys and values renamed since earlier versions: a config written for them is refused with
# the new name, not with "unknown key" (CHANGELOG.md lists each rename).
RENAMED_KEYS = {
    ("audio", "dwt"): "audio.cwt",
    ("audio", "attacks", "methods", "nes"): "audio.attacks.methods.pia",
}
RENAMED_VALUES = {("audio", "representations"): {"dwt": "cwt", "dwt_tonnetz": "cwt_tonnetz"}}


def renamed_problems(config: Mapping[str, Any]) -> list[str]:
    """Old names in ``config``, each with the name it has now."""
    problems = []
    for path, new in RENAMED_KEYS.items():
        node: Any = config
        for part in path[:-1]:
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        if isinstance(node, Mapping) and path[-1] in node:
            problems.append(f"config key '{_key(path)}' was renamed to '{new}'")
    for path, names in RENAMED_VALUES.items():
        node = config
        for part in path:
            node = node.get(part, []) if isinstance(node, Mapping) else []
        if isinstance(node, list):
            problems += [
                f"config key '{_key(path)}': '{value}' was renamed to '{names[value]}'"
                for value in node
                if isinstance(value, str) and value in names
            ]
    return problems


def validate_config(
    config: Mapping[str, Any], schema: Mapping[str, Any], config_files: Sequence[str | os.PathLike] = ()
) -> None:
    """Raise ConfigError listing every problem of ``config_files`` (the files ``config`` was
    read from), else of ``config``, then MissingDataError listing the data it would download
    when ``missing_data`` is ``stop``; return None if it can run."""
    problems = config_file_problems(config_files)
    if problems:
        raise ConfigError(problems)  # before anything walks a config that may not be finite
    problems = renamed_problems(config)
    if problems:
        raise ConfigError(problems)  # before the schema calls the old names unknown
    problems = schema_problems(config, schema) + number_problems(config)
    if not problems:
        problems = consistency_problems(config) + data_problems(config)
    if problems:
        raise ConfigError(problems)
    if config["missing_data"] == "stop":
        missing = missing_datasets(config)
        if missing:
            raise MissingDataError(missing, HOW_TO_GET_MISSING_DATA)


def local_device_problems(device: str) -> list[str]:
    """With jobs run on this machine (no cluster executor), a ``device: cuda`` it cannot give.
    torch is imported only then: planning a run otherwise needs none."""
    if device != "cuda":
        return []
    import torch

    if torch.cuda.is_available():
        return []
    return [
        "config key 'device': 'cuda', but this machine, where the jobs would run, has no CUDA device; "
        "set it to auto or cpu, or submit the jobs to GPU nodes (--profile profiles/slurm)"
    ]


def representation_settings(audio: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The keyword arguments of ``features.RepresentationSettings`` for ``dataset``."""
    image = audio["image"]
    return dict(
        height=int(image["height"]),
        width=int(image["width"]),
        tonnetz_height=int(image["tonnetz_height"]),
        n_fft=int(audio["stft"]["n_fft"]),
        hop_length=int(audio["stft"]["hop_length"]),
        wavelet=str(audio["cwt"]["wavelet"]),
        cwt_sample_rate=cwt_sample_rate(audio, dataset),
        cwt_min_frequency=float(audio["cwt"]["min_frequency"]),
        storage=str(image.get("storage", "float32")),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m signal_robustness.config FILE ...``: what is wrong with each config file,
    naming the file and the line. Snakemake reads ``--configfile`` files before the workflow
    starts and then names neither (snakemake/snakemake#2439), so its "Config file is not valid
    JSON or YAML" and "must be given as JSON or YAML with keys at top level" point here."""
    import sys

    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m signal_robustness.config FILE [FILE ...]", file=sys.stderr)
        return 2
    problems = config_file_problems(paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(paths)} config file(s) read cleanly; snakemake checks their keys and values")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
