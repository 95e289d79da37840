# Helpers shared by the rule files (config validation, the plan, input functions).
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
    load_schema,
    local_device_problems,
    representation_settings,
    validate_config,
)
from signal_robustness.data.audio import AUDIO_DATASETS, AudioDatasetError
from signal_robustness.data.ucr import resolve_datasets
from signal_robustness.provenance import code_version, package_versions
from signal_robustness.plan import Plan, runs_of_branch
from signal_robustness.runs import RUN_FIELDS, parse_run, run_path
from signal_robustness.sources import RawSources

# `timeseries.datasets: all`: every univariate set of the local archive, or all 128 by name.
if (
    isinstance(config.get("timeseries"), dict)
    and config["timeseries"].get("datasets") == "all"
):
    config["timeseries"]["datasets"] = resolve_datasets(
        "all", config.get("ucr_archive_dir")
    )

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

# The config's sections, as the rules read them.
TIMESERIES = config["timeseries"]
AUDIO = config["audio"]
DEFENSE = config["defense"]
ROBUSTNESS = config["robustness"]
SMOOTHING = ROBUSTNESS["smoothing"]

# Which models the configuration trains, evaluates, defends and certifies, and the tables and
# figures of each stage (signal_robustness.plan; tests/test_plan.py); the raw files it reads.
PLAN = Plan(config)
SOURCES = RawSources(config)

# Published numbers the tables compare against (see config/published/README.md).
PUBLISHED = {
    name: str(REPO / "config" / "published" / f"{file}.csv")
    for name, file in {
        "fawaz2019": "fawaz2019_resnet_attacks",
        "fawaz2019_all": "fawaz2019_all_results",
        "sarkar2020": "sarkar2020_augmentation",
        "sallo2020": "sallo2020_audio",
        "lin2019": "lin2019_post_averaging",
    }.items()
}

# Names the paths may hold (wildcard constraints in the Snakefile).
TIMESERIES_METHODS = [*BASELINE_METHODS, *AUGMENTATION_METHODS]
TIMESERIES_REGULARISERS = ["none", "feat_sim"]
ATTACK_NAMES = sorted(set(DEFENSE["attacks"]) | set(AUDIO["attacks"]["methods"]))
# Folders soundata can fill (esc10 reads esc50's).
AUDIO_DOWNLOADS = sorted(
    {spec.folder_key for spec in AUDIO_DATASETS.values() if spec.soundata_name}
)

# The configured augmentation methods, and the datasets the paper's Figure 3 shows (two).
FIGURE_DATASETS = TIMESERIES["datasets"][:2]
# The dataset whose first clip the representations figure shows; the budget searches
# (sallo2020, section VI) whose first model's original training Figure 1 shows.
AUDIO_FIGURE_DATASET = AUDIO["datasets"][0]
AUDIO_FIGURE_RUN = PLAN.audio_figure_run()
DEFENSE_SETTINGS = PLAN.defense_settings()


def ucr_inputs(wildcards):
    return SOURCES.ucr_inputs(wildcards.dataset)


def audio_inputs_of(dataset):
    """What reading ``dataset`` reads (RawSources.audio_inputs); a downloaded set is listed
    once soundata has fetched it."""
    if SOURCES.audio_is_downloaded(dataset):
        checkpoints.download_audio.get(folder=AUDIO_DATASETS[dataset].folder_key)
    try:
        return SOURCES.audio_inputs(dataset)
    except AudioDatasetError as error:
        raise WorkflowError(str(error)) from None


def audio_inputs(wildcards):
    return audio_inputs_of(wildcards.dataset)


def audio_folder(wildcards):
    return SOURCES.audio_folder(wildcards.dataset)


def audio_duration(wildcards):
    """Seconds every clip is padded or cut to."""
    spec = AUDIO_DATASETS[wildcards.dataset]
    return (
        spec.duration if spec.duration is not None else AUDIO["synthetic"]["duration"]
    )


def audio_representation_settings(wildcards):
    """RepresentationSettings of the dataset as a plain dict (rule params)."""
    return representation_settings(AUDIO, wildcards.dataset)


def audio_bases(wildcards):
    """The base images a representation stacks (e.g. cwt and tonnetz)."""
    return list(REPRESENTATIONS[wildcards.representation])


def timeseries_recipe(wildcards):
    return PLAN.training_recipe(wildcards.method)


def training_inputs(wildcards):
    return PLAN.training_inputs(wildcards.dataset, wildcards.method, wildcards.seed)


def augmentation_inputs(wildcards):
    return PLAN.augmentation_inputs(wildcards.dataset, wildcards.method, wildcards.seed)


def audio_pretrained_weights(wildcards):
    return PLAN.pretrained_weights(wildcards.model)


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


def trained_model_inputs(wildcards):
    """What loading the trained model {run} names reads."""
    return PLAN.model_inputs(wildcards.run)


def metrics_files(runs):
    return [f"results/{run}/metrics.json" for run in runs]


def defense_setting(key):
    """A param or resource of the rules: ``key`` of the defended model's branch."""
    return lambda wildcards: DEFENSE_SETTINGS[parse_run(wildcards.run)["branch"]][key]


def post_averaging_l2_files(branch, dataset):
    """Post-averaging's adaptive L2 accuracy of the networks smoothing's noise-trained models
    are, defended at test time instead (Plan.post_averaging_l2_runs)."""
    return [
        f"results/defense/{run}/adaptive_l2.csv"
        for run in PLAN.post_averaging_l2_runs(branch, dataset)
    ]


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


def data_targets():
    """The prepared UCR sets and the audio folders: what `download_data` asks for."""
    return expand(
        "results/timeseries/{dataset}/data.npz", dataset=TIMESERIES["datasets"]
    ) + [SOURCES.audio_folder(d) for d in AUDIO["datasets"] if d != "synthetic"]


def provenance_inputs(wildcards):
    """Every raw file the configured datasets are read from, by dataset, and the results."""
    inputs = SOURCES.provenance_inputs(PLAN.pretrained_weights, audio_inputs_of)
    prepared = expand(
        "results/timeseries/{dataset}/data.npz", dataset=TIMESERIES["datasets"]
    )
    return {**inputs, "prepared": prepared, "results": PLAN.results_targets()}
