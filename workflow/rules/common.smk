# Helpers shared by the rule files (config validation, target lists, input functions).
import functools
from pathlib import Path

from snakemake.exceptions import WorkflowError

# Only modules that import no torch: every cluster job parses this file again.
from signal_robustness import costs
from signal_robustness.catalog import (
    AUDIO_MODELS,
    AUGMENTATION_METHODS,
    BASE_REPRESENTATIONS,
    BASELINE_METHODS,
    REPRESENTATIONS,
    SMOOTHED_METHODS,
)
from signal_robustness.config import (
    PRETRAINED_DIR,
    ConfigError,
    audio_source_folder,
    load_schema,
    local_device_problems,
    representation_settings,
    validate_config,
)
from signal_robustness.data.audio import (
    AUDIO_DATASETS,
    AudioDatasetError,
    read_clip_table,
)
from signal_robustness.data.ucr import ucr_files
from signal_robustness.provenance import code_version, content_digest, package_versions
from signal_robustness.plan import Plan, runs_of_branch
from signal_robustness.runs import RUN_FIELDS, parse_run, run_path

# Stop before any job, naming every wrong key or value; nothing is written under results/.
# Once, in the process that plans the run: a cluster job re-reads this file but needs no check.
if workflow.is_main_process:
    try:
        validate_config(
            config,
            load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"),
            workflow.configfiles,
        )
    except ConfigError as error:
        raise WorkflowError(str(error)) from None

# What the provenance record states of this run's code: a change reruns the record.
CODE_VERSION = code_version(REPO)
PACKAGE_VERSIONS = package_versions()

TS = config["timeseries"]
# Which models the configuration trains, evaluates, defends and certifies, and the tables and
# figures of each stage (signal_robustness.plan; tests/test_plan.py).
PLAN = Plan(config)
DEF = config["defense"]
DEF_ATTACKS = list(DEF["attacks"])

# Published numbers the tables compare against (see config/published/README.md).
PUBLISHED = {
    "fawaz2019": str(REPO / "config" / "published" / "fawaz2019_resnet_attacks.csv"),
    "sarkar2020": str(REPO / "config" / "published" / "sarkar2020_augmentation.csv"),
    "sallo2020": str(REPO / "config" / "published" / "sallo2020_audio.csv"),
    "post_averaging2020": str(
        REPO / "config" / "published" / "post_averaging_2020.csv"
    ),
}

# The configured augmentation methods, and the datasets the seed's Figure 3 shows (two, as the seed).
TS_AUGMENTATIONS = PLAN.augmentation_methods()
FIGURE_DATASETS = TS["datasets"][:2]

# Every method and regulariser the paths may name (wildcard constraints).
TS_METHODS = [*BASELINE_METHODS, *AUGMENTATION_METHODS]
TS_REGULARISERS = ["none", "feat_sim"]


timeseries_runs = PLAN.timeseries_runs
timeseries_variants = PLAN.timeseries_variants
timeseries_run_paths = PLAN.timeseries_run_paths


timeseries_variant_files = PLAN.variant_files


def ucr_inputs_of(dataset):
    """The two files a UCR set is read from: the local archive's TSVs, aeon's bundled .ts
    files, or the .ts files download_ucr fetches."""
    _, train, test = ucr_files(
        dataset, config["ucr_archive_dir"], config["download_dir"]
    )
    return {"train": str(train), "test": str(test)}


def ucr_inputs(wildcards):
    return ucr_inputs_of(wildcards.dataset)


# Raw files the workflow does not write are judged by content, not time stamp: a rule that
# reads them has their digest as a param (a rerun trigger), so a corrected copy restored with
# its old mtime (cp -p, rsync -a, unzip) still reruns it. Hashes are cached by stat, ctime
# included, so a parse rehashes only files that changed.
CONTENT_CACHE = ".snakemake/signal_robustness/content_sha256.json"


def ucr_content(dataset):
    """Digest of a UCR set's two files, or None for a download (a rule's output, tracked already)."""
    source, train, test = ucr_files(
        dataset, config["ucr_archive_dir"], config["download_dir"]
    )
    return (
        None if source == "download" else content_digest([train, test], CONTENT_CACHE)
    )


def timeseries_recipe(wildcards):
    return PLAN.training_recipe(wildcards.method)


def training_inputs(wildcards):
    return PLAN.training_inputs(wildcards.dataset, wildcards.method, wildcards.seed)


def augmentation_inputs(wildcards):
    return PLAN.augmentation_inputs(wildcards.dataset, wildcards.method, wildcards.seed)


def timeseries_metrics(wildcards=None):
    return [f"results/{run}/metrics.json" for run in timeseries_run_paths()]


AUDIO = config["audio"]
# Path names of the two training regimes (summary column adversarial_training).
AUDIO_TRAININGS = PLAN.audio_trainings()
# Gaussian-noise training (audio.noise_training): models trained and certified, not attacked.
AUDIO_NOISE_TRAINING = AUDIO["noise_training"]
# The dataset whose first clip the representations figure shows.
AUDIO_FIGURE_DATASET = AUDIO["datasets"][0]
# Folders soundata can fill (esc10 reads esc50's).
AUDIO_DOWNLOADS = sorted(
    {spec.folder_key for spec in AUDIO_DATASETS.values() if spec.soundata_name}
)


SYNTHETIC_SOURCE = "results/audio/synthetic/source"


def audio_folder(wildcards):
    """The folder a dataset is read from: generated, local or downloaded."""
    if wildcards.dataset == "synthetic":
        return SYNTHETIC_SOURCE
    return audio_source_folder(AUDIO, wildcards.dataset)[0]


@functools.cache
def listed_clips(dataset, folder):
    """The clip files the metadata of ``dataset`` in ``folder`` lists (read once per parse)."""
    try:
        table = read_clip_table(dataset, folder)
    except AudioDatasetError as error:
        raise WorkflowError(str(error)) from None
    return [str(Path(folder) / path) for path in table["path"]]


def audio_inputs_of(dataset):
    """What reading ``dataset`` reads: its metadata CSV and every clip it lists (the generated
    set's folder for synthetic). A downloaded set is listed once soundata has fetched it.
    """
    if dataset == "synthetic":
        return {"folder": SYNTHETIC_SOURCE}
    folder, local = audio_source_folder(AUDIO, dataset)
    spec = AUDIO_DATASETS[dataset]
    if not local:
        checkpoints.download_audio.get(folder=spec.folder_key)
    return {
        "metadata": str(Path(folder) / spec.metadata),
        "clips": listed_clips(dataset, folder),
    }


def audio_inputs(wildcards):
    return audio_inputs_of(wildcards.dataset)


def audio_content(dataset):
    """Digest of a local audio set's metadata and clips (ucr_content), None for generated or
    downloaded ones."""
    if dataset == "synthetic" or not audio_source_folder(AUDIO, dataset)[1]:
        return None
    files = audio_inputs_of(dataset)
    return content_digest([files["metadata"], *files["clips"]], CONTENT_CACHE)


def audio_duration(wildcards):
    """Seconds every clip is padded or cut to."""
    spec = AUDIO_DATASETS[wildcards.dataset]
    return (
        spec.duration if spec.duration is not None else AUDIO["synthetic"]["duration"]
    )


def audio_settings_of(dataset):
    """RepresentationSettings of ``dataset`` as a plain dict (rule params)."""
    return representation_settings(AUDIO, dataset)


def audio_representation_settings(wildcards):
    return audio_settings_of(wildcards.dataset)


def audio_bases(wildcards):
    """The base images a representation stacks (e.g. dwt and tonnetz)."""
    return list(REPRESENTATIONS[wildcards.representation])


pretrained_weights_of = PLAN.pretrained_weights
pretrained_targets = PLAN.pretrained_targets


def audio_pretrained_weights(wildcards):
    return pretrained_weights_of(wildcards.model)


def audio_training_inputs(wildcards):
    return PLAN.audio_training_inputs(
        wildcards.dataset, wildcards.representation, wildcards.model, wildcards.seed
    )


def audio_model_inputs(run):
    """What loading the trained audio model ``run`` names (a mapping of its run-path fields) reads."""
    return PLAN.model_inputs(
        run_path("audio", **{key: run[key] for key in RUN_FIELDS["audio"]})
    )


def audio_evaluation_inputs(wildcards):
    inputs = audio_model_inputs(wildcards)
    del inputs["metrics"]  # the evaluation writes it
    return inputs


def audio_metrics(wildcards=None):
    return [f"results/{run}/metrics.json" for run in PLAN.audio_runs()]


audio_run_paths = PLAN.audio_runs


# The budget searches (seed 001, section VI); Figure 1 shows the first model's original training.
AUDIO_ATTACKS = list(AUDIO["attacks"]["methods"])
AUDIO_FIGURE_RUN = PLAN.audio_figure_run()


def audio_attack_searches(wildcards=None):
    return PLAN.audio_attack_searches()


def audio_figure_searches(wildcards=None):
    return PLAN.audio_figure_searches()


# Post-averaging (seed 002) on the trained models of both branches, by one set of rules.
# A defended model is named by its run path (signal_robustness.runs), its results lie under
# results/defense/<run path>/, and what differs by branch is read here.
DEF_AUDIO = DEF["audio"]


DEFENSE_SETTINGS = PLAN.defense_settings()
defended_runs = PLAN.defended_runs


def run_branch(wildcards):
    return parse_run(wildcards.run)["branch"]


def defense_setting(key):
    """A param or resource of the rules: ``key`` of the defended model's branch."""
    return lambda wildcards: DEFENSE_SETTINGS[run_branch(wildcards)][key]


def job_fields(wildcards):
    """A job's wildcards, with its run path's fields (branch, model, ...) where it has one."""
    fields = dict(wildcards.items())
    if "run" in fields:
        fields.update(parse_run(fields["run"]))
    return fields


def job_runtime(rule_name):
    """A job's SLURM time limit, minutes, from the cost model (signal_robustness.costs):
    its network, image size, samples, steps and threads; longer on each retry."""
    return lambda wildcards, attempt, threads: costs.runtime_minutes(
        rule_name, config, job_fields(wildcards), attempt, threads
    )


def job_memory(rule_name):
    """A job's host memory, MB, from the cost model; more on each retry."""
    return lambda wildcards, attempt: costs.mem_mb(
        rule_name, config, job_fields(wildcards), attempt
    )


def trained_model_inputs(wildcards):
    """What loading the trained model {run} names reads."""
    return PLAN.model_inputs(wildcards.run)


defense_files = PLAN.defense_files


# AutoAttack-grade robust accuracy (robustness.smk): the same run paths, one records file per norm.
ROB = config["robustness"]
robustness_runs = PLAN.robustness_runs


robustness_records = PLAN.robustness_records


# Randomized smoothing (robustness.smoothing): the Gaussian-noise-trained series models it
# certifies, and post-averaging's defended models of the same datasets, attacked in L2.
SMOOTHING = ROB["smoothing"]


smoothed_runs = PLAN.smoothed_runs


def post_averaging_l2_files(branch, dataset):
    """Post-averaging's adaptive L2 accuracy of the networks smoothing's noise-trained models
    are, defended at test time instead (Plan.post_averaging_l2_runs)."""
    return [
        f"results/defense/{run}/adaptive_l2.csv"
        for run in PLAN.post_averaging_l2_runs(branch, dataset)
    ]


def data_targets():
    """The prepared UCR sets and the audio folders: what `download_data` asks for."""
    return expand("results/timeseries/{dataset}/data.npz", dataset=TS["datasets"]) + [
        audio_source_folder(AUDIO, dataset)[0]
        for dataset in AUDIO["datasets"]
        if dataset != "synthetic"
    ]


# The tables and figures of each stage (targets of the same names in the Snakefile).
timeseries_targets = PLAN.timeseries_targets
audio_targets = PLAN.audio_targets
defense_targets = PLAN.defense_targets
robustness_targets = PLAN.robustness_targets
results_targets = PLAN.results_targets


def all_targets():
    return results_targets() + ["results/provenance.json", "results/provenance.html"]


def raw_contents(wildcards):
    """Per configured dataset, the digest of its raw files (ucr_content, audio_content): the
    provenance record is rewritten whenever one changes, so it never states an old hash.
    """
    return {
        **{f"ucr/{d}": ucr_content(d) for d in TS["datasets"]},
        **{f"audio/{d}": audio_content(d) for d in AUDIO["datasets"]},
    }


def provenance_inputs(wildcards):
    """Every raw file the configured datasets are read from, by dataset, and the results."""
    inputs = {
        f"ucr/{dataset}": list(ucr_inputs_of(dataset).values())
        for dataset in TS["datasets"]
    }
    for dataset in AUDIO["datasets"]:
        files = audio_inputs_of(dataset)
        inputs[f"audio/{dataset}"] = (
            [files["folder"]]
            if "folder" in files
            else [files["metadata"], *files["clips"]]
        )
    for model in AUDIO["pretrained_weights"]:
        if model in AUDIO["models"]:
            inputs[f"pretrained/{model}"] = [pretrained_weights_of(model)]
    inputs["results"] = results_targets()
    return inputs
