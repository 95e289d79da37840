# Helpers shared by the rule files (config validation, target lists, input functions).
import functools
from pathlib import Path

from snakemake.exceptions import WorkflowError

from signal_robustness.augment import (
    AUGMENTATION_METHODS,
    BASELINE_METHODS,
    NEEDS_ODENET,
    needs_classifier,
)
from dataclasses import asdict

from signal_robustness.config import (
    PRETRAINED_DIR,
    ConfigError,
    audio_source_folder,
    load_schema,
    representation_settings,
    validate_config,
)
from signal_robustness.data.audio import (
    AUDIO_DATASETS,
    AudioDatasetError,
    read_clip_table,
)
from signal_robustness.data.ucr import ucr_files
from signal_robustness.provenance import code_version, package_versions
from signal_robustness.runs import run_path
from signal_robustness.features import BASE_REPRESENTATIONS, REPRESENTATIONS
from signal_robustness.models import AUDIO_MODELS

REPO = Path(workflow.basedir)

# Stop before any job, naming every wrong key or value; nothing is written under results/.
# Once, in the process that plans the run: a cluster job re-reads this file but needs no check.
if workflow.is_main_process:
    try:
        validate_config(
            config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
        )
    except ConfigError as error:
        raise WorkflowError(str(error)) from None

# What the provenance record states of this run's code: a change reruns the record.
CODE_VERSION = code_version(REPO)
PACKAGE_VERSIONS = package_versions()

TS = config["timeseries"]
DEF = config["defense"]
DEF_ATTACKS = list(DEF["attacks"])
# Table 1's budget always belongs to the eps sweep.
DEF_EPS_GRID = sorted(set(DEF["eps_grid"]) | {DEF["eps"]})

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
TS_AUGMENTATIONS = [m for m in TS["methods"] if m not in BASELINE_METHODS]
FIGURE_DATASETS = TS["datasets"][:2]

# Every method and regulariser the paths may name (wildcard constraints).
TS_METHODS = [*BASELINE_METHODS, *AUGMENTATION_METHODS]
TS_REGULARISERS = ["none", "feat_sim"]


def timeseries_runs():
    """(dataset, method, regulariser, seed) of every configured classifier: the baseline (and
    Fawaz's, if configured), and each augmentation method without and/or with Feat-Sim.
    """
    regularisers = ["feat_sim" if flag else "none" for flag in TS["feat_sim"]]
    baselines = ["baseline"] + [m for m in TS["methods"] if m == "fawaz"]
    variants = [(m, "none") for m in baselines] + [
        (m, r) for m in TS["methods"] if m not in BASELINE_METHODS for r in regularisers
    ]
    return [
        dict(dataset=d, method=m, regulariser=r, seed=s)
        for d in TS["datasets"]
        for m, r in variants
        for s in config["seeds"]
    ]


def ucr_inputs_of(dataset):
    """The two files a UCR set is read from: the local archive's TSVs, aeon's bundled .ts
    files, or the .ts files download_ucr fetches."""
    _, train, test = ucr_files(
        dataset, config["ucr_archive_dir"], config["download_dir"]
    )
    return {"train": str(train), "test": str(test)}


def ucr_inputs(wildcards):
    return ucr_inputs_of(wildcards.dataset)


def timeseries_run_path(wildcards):
    """The run path (signal_robustness.runs) of the time-series model a job's wildcards name."""
    return run_path("timeseries", **wildcards)


def audio_run_path(wildcards):
    return run_path("audio", **wildcards)


def timeseries_recipe(wildcards):
    """The training settings of a method: seed 000's, or Fawaz et al.'s Adam for method fawaz."""
    recipe = {
        key: TS[key]
        for key in (
            "epochs",
            "batch_size_cap",
            "learning_rate",
            "weight_decay",
            "lr_plateau",
        )
    }
    if wildcards.method == "fawaz":
        recipe.update(TS["fawaz_recipe"])
    return recipe


def training_inputs(wildcards):
    """data.npz, and for an augmentation method its augmented series."""
    inputs = {"data": f"results/timeseries/{wildcards.dataset}/data.npz"}
    if wildcards.method not in BASELINE_METHODS:
        inputs["augmented"] = (
            f"results/timeseries/{wildcards.dataset}/aug/{wildcards.method}/seed{wildcards.seed}.npz"
        )
    return inputs


def augmentation_inputs(wildcards):
    """What a method's augmentation reads: the data, the ODENet, the baseline classifier."""
    inputs = {"data": f"results/timeseries/{wildcards.dataset}/data.npz"}
    if wildcards.method in NEEDS_ODENET:
        inputs["odenet"] = (
            f"results/timeseries/{wildcards.dataset}/odenet/seed{wildcards.seed}.pt"
        )
    if needs_classifier(wildcards.method, TS["augment"]):
        inputs["classifier"] = (
            f"results/timeseries/{wildcards.dataset}/baseline/none/seed{wildcards.seed}/model.pt"
        )
    return inputs


def timeseries_metrics(wildcards=None):
    return expand(
        "results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/metrics.json",
        zip,
        **{
            key: [run[key] for run in timeseries_runs()]
            for key in ("dataset", "method", "regulariser", "seed")
        },
    )


def defended_runs():
    """The trained classifiers post-averaging defends: of defense.seeds, the baselines or all."""
    return [
        run
        for run in timeseries_runs()
        if run["seed"] in DEF["seeds"]
        and (DEF["models"] == "all" or run["method"] == "baseline")
    ]


def defense_files(name):
    """One file per defended model."""
    return [
        "results/defense/{dataset}/{method}/{regulariser}/seed{seed}/{name}".format(
            name=name, **run
        )
        for run in defended_runs()
    ]


def augmentation_figures():
    """Figures 3, 5 and 6 exist only when augmentation methods are configured."""
    if not TS_AUGMENTATIONS:
        return []
    return ["results/timeseries/figures/augmentation_examples.png"] + expand(
        "results/timeseries/figures/latent_pca_{dataset}.png", dataset=TS["datasets"]
    )


AUDIO = config["audio"]
# Path names of the two training regimes (summary column adversarial_training).
AUDIO_TRAININGS = [
    "adversarial" if flag else "original"
    for flag in AUDIO["adversarial_training"]["variants"]
]
# The dataset whose first clip the representations figure shows.
AUDIO_FIGURE_DATASET = AUDIO["datasets"][0]
AUDIO_FOLDS = list(range(AUDIO["split"]["train_folds"]))
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


def audio_duration(wildcards):
    """Seconds every clip is padded or cut to."""
    spec = AUDIO_DATASETS[wildcards.dataset]
    return (
        spec.duration if spec.duration is not None else AUDIO["synthetic"]["duration"]
    )


def audio_settings_of(dataset):
    """RepresentationSettings of ``dataset`` as a plain dict (rule params)."""
    return asdict(representation_settings(AUDIO, dataset))


def audio_representation_settings(wildcards):
    return audio_settings_of(wildcards.dataset)


def audio_bases(wildcards):
    """The base images a representation stacks (e.g. dwt and tonnetz)."""
    return list(REPRESENTATIONS[wildcards.representation])


def pretrained_weights_of(model):
    """The state dict ``model`` is fine-tuned from: a configured path, torchvision's ImageNet
    weights as download_pretrained saves them ('imagenet'), or None (random weights)."""
    value = AUDIO["pretrained_weights"].get(model)
    return f"{PRETRAINED_DIR}/{model}_imagenet.pt" if value == "imagenet" else value


def audio_pretrained_weights(wildcards):
    return pretrained_weights_of(wildcards.model)


def pretrained_targets():
    """The ImageNet weights the configuration asks for: what `download_pretrained` fetches."""
    return [
        pretrained_weights_of(model)
        for model, value in AUDIO["pretrained_weights"].items()
        if value == "imagenet" and model in AUDIO["models"]
    ]


def _audio_common_inputs(wildcards):
    inputs = {
        "clips": f"results/audio/{wildcards.dataset}/clips.csv",
        "split": f"results/audio/{wildcards.dataset}/splits/seed{wildcards.seed}.csv",
    }
    for base in audio_bases(wildcards):
        inputs[base] = f"results/audio/{wildcards.dataset}/features/{base}.npy"
    return inputs


def audio_training_inputs(wildcards):
    """Clips, split and images; and the pretrained weights a model starts from, if any."""
    inputs = _audio_common_inputs(wildcards)
    weights = audio_pretrained_weights(wildcards)
    if weights is not None:
        inputs["weights"] = weights
    return inputs


def audio_evaluation_inputs(wildcards):
    run = (
        "results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}".format(
            **wildcards
        )
    )
    return {
        **_audio_common_inputs(wildcards),
        "models": [f"{run}/fold{fold}/model.pt" for fold in AUDIO_FOLDS],
        "trainings": [f"{run}/fold{fold}/training.json" for fold in AUDIO_FOLDS],
    }


def audio_metrics(wildcards=None):
    return expand(
        "results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/metrics.json",
        dataset=AUDIO["datasets"],
        representation=AUDIO["representations"],
        model=AUDIO["models"],
        training=AUDIO_TRAININGS,
        seed=AUDIO["seeds"],
    )


# The budget searches (seed 001, section VI); Figure 1 shows the first model's original training.
AUDIO_ATTACKS = list(AUDIO["attacks"]["methods"])
AUDIO_FIGURE_RUN = dict(
    dataset=AUDIO_FIGURE_DATASET,
    model=AUDIO["models"][0],
    training="original" if "original" in AUDIO_TRAININGS else AUDIO_TRAININGS[0],
    seed=AUDIO["attacks"]["seeds"][0],
)


def audio_attack_inputs(wildcards):
    """What the evaluation read, and its metrics.json (which fold was selected)."""
    return {
        **audio_evaluation_inputs(wildcards),
        "metrics": "results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/metrics.json".format(
            **wildcards
        ),
    }


def audio_attack_searches(wildcards=None):
    return expand(
        "results/attacks/{dataset}/{representation}/{model}/{training}/seed{seed}/{attack}.json",
        dataset=AUDIO["datasets"],
        representation=AUDIO["representations"],
        model=AUDIO["models"],
        training=AUDIO_TRAININGS,
        seed=AUDIO["attacks"]["seeds"],
        attack=AUDIO_ATTACKS,
    )


def audio_figure_searches(wildcards=None):
    """Figure 1's inputs, keyed '<representation>/<attack>/<npz|json>'."""
    run = "results/attacks/{dataset}/{{representation}}/{model}/{training}/seed{seed}/{{attack}}".format(
        **AUDIO_FIGURE_RUN
    )
    return {
        f"{representation}/{attack}/{kind}": f"{run}.{kind}".format(
            representation=representation, attack=attack
        )
        for representation in AUDIO["representations"]
        for attack in AUDIO_ATTACKS
        for kind in ("npz", "json")
    }


# Post-averaging on the audio models (defense.audio): its own image-scale budgets and radii.
DEF_AUDIO = DEF["audio"]
DEF_AUDIO_EPS_GRID = (
    sorted(set(DEF_AUDIO["eps_grid"]) | {DEF_AUDIO["eps"]}) if DEF_AUDIO else []
)


def defense_audio_files(name):
    """One file per defended audio model (every trained one, of defense.seeds and audio.seeds)."""
    if not DEF_AUDIO:
        return []
    return expand(
        "results/defense/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/{name}",
        dataset=AUDIO["datasets"],
        representation=AUDIO["representations"],
        model=AUDIO["models"],
        training=AUDIO_TRAININGS,
        seed=sorted(set(DEF["seeds"]) & set(AUDIO["seeds"])),
        name=name,
    )


def defense_audio_targets():
    if not defense_audio_files("adaptive.csv"):
        return []
    return (
        ["results/defense/audio/summary.csv"]
        + expand(
            "results/defense/audio/tables/{table}.{ext}",
            table=["table1", "table2"],
            ext=["csv", "md", "tex", "html"],
        )
        + ["results/defense/audio/tables/adaptive_checks.csv"]
    )


def audio_attack_targets():
    if not AUDIO_ATTACKS:
        return []
    tables = expand(
        "results/attacks/tables/{table}.{ext}",
        table=["table2", "table3"],
        ext=["csv", "md", "tex", "html"],
    )
    return [
        "results/attacks/summary.csv",
        "results/attacks/searches.csv",
        *tables,
        "results/attacks/figures/adversarial_examples.png",
    ]


def audio_targets():
    return audio_attack_targets() + [
        "results/audio/summary.csv",
        "results/audio/tables/table1.csv",
        "results/audio/tables/table1.md",
        "results/audio/tables/table1.tex",
        "results/audio/tables/table1.html",
        "results/audio/figures/representations.png",
    ]


def data_targets():
    """The prepared UCR sets and the audio folders: what `download_data` asks for."""
    return expand("results/timeseries/{dataset}/data.npz", dataset=TS["datasets"]) + [
        audio_source_folder(AUDIO, dataset)[0]
        for dataset in AUDIO["datasets"]
        if dataset != "synthetic"
    ]


def all_targets():
    return results_targets() + ["results/provenance.json", "results/provenance.html"]


def results_targets():
    """Every table and figure of the configured branches (the provenance record hashes them)."""
    return timeseries_targets() + audio_targets() + defense_targets()


def timeseries_targets():
    """Seed 000 and the Fawaz comparison: summary, tables and figures (target `timeseries`)."""
    return augmentation_figures() + [
        "results/timeseries/summary.csv",
        *expand(
            "results/timeseries/tables/fawaz_comparison.{ext}",
            ext=["csv", "md", "tex", "html"],
        ),
        "results/timeseries/figures/clean_vs_adversarial.png",
        *expand(
            "results/timeseries/tables/{table}.md", table=["table1", "table2", "table3"]
        ),
    ]


def defense_targets():
    """Seed 002 on the time-series models, and on the audio models with defense.audio (target `defense`)."""
    return defense_audio_targets() + [
        "results/defense/summary.csv",
        *expand(
            "results/defense/tables/{table}.{ext}",
            table=["table1", "table2"],
            ext=["md", "tex", "html"],
        ),
        "results/defense/tables/adaptive_checks.csv",
        "results/defense/figures/radius_sweep.png",
        "results/defense/figures/eps_sweep.png",
    ]


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
