# Adversarial robustness of signal classifiers: raw data -> models -> attacks -> tables.
# Read the DAG from workflow/rules/*.smk; the code lives in the signal_robustness package.
import os
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# Jobs import the package from this clone's src/, installed or not (the conda env of
# envs/pipeline.yaml holds only its dependencies); envvars passes it on to cluster jobs.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(Path(workflow.basedir) / "src"), os.environ.get("PYTHONPATH")])
)


envvars:
    "PYTHONPATH",


configfile: Path(workflow.basedir) / "config" / "config.yaml"


include: "workflow/rules/common.smk"


wildcard_constraints:
    dataset=r"[A-Za-z][A-Za-z0-9_]*",
    method="|".join(TS_METHODS),
    regulariser="|".join(TS_REGULARISERS),
    seed=r"\d+",
    attack="|".join(sorted(set(DEF_ATTACKS) | set(AUDIO_ATTACKS))),
    representation="|".join(REPRESENTATIONS),
    base="|".join(BASE_REPRESENTATIONS),
    model="|".join(AUDIO_MODELS),
    training="original|adversarial|gaussian_noise",
    fold=r"\d+",
    folder="|".join(AUDIO_DOWNLOADS),
    branch="timeseries|audio",
    norm="linf|l2",
    # A run path (signal_robustness.runs): the folder of one trained model under results/.
    run=r"(timeseries/\w+/\w+/\w+|audio/\w+/\w+/\w+/\w+)/seed\d+",


include: "workflow/rules/timeseries.smk"
include: "workflow/rules/defense.smk"
include: "workflow/rules/audio.smk"
include: "workflow/rules/attacks.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"


report: "workflow/report/workflow.rst"


# Jobs run on this machine unless an executor sends them to a cluster; only then is the
# executor known, so a `device: cuda` this machine cannot give is refused here, before any job.
onstart:
    if workflow.local_exec:
        device_problems = local_device_problems(config["device"])
        if device_problems:
            raise WorkflowError(str(ConfigError(device_problems)))


# Download jobs need the network, which cluster nodes often lack: the submitting host runs them.
localrules:
    all,
    timeseries,
    audio,
    defense,
    robustness,
    download_data,
    download_ucr,
    prepare_ucr,
    download_audio,
    download_pretrained,
    fetch_imagenet_weights,
    provenance,


# The tables and figures read summaries (CSV, JSON, a few example arrays) and take seconds: as
# cluster jobs they would cost more in queueing and start-up than in work.
localrules:
    summarise_timeseries,
    summarise_attacks,
    summarise_audio,
    summarise_defense,
    summarise_robustness,
    augmentation_tables,
    fawaz_comparison_table,
    audio_table1,
    audio_attack_tables,
    post_averaging_tables,
    certified_accuracy,
    accuracy_vs_eps_figure,
    clean_vs_adversarial_figure,
    training_curves_figure,
    fooling_rate_figure,
    post_averaging_figures,
    audio_adversarial_figure,


rule all:
    default_target: True
    input:
        all_targets(),


# One part of the pipeline each: `snakemake --cores N timeseries` (or audio, defense).
rule timeseries:
    """Seed 000's tables and figures and the Fawaz comparison."""
    input:
        timeseries_targets(),


rule audio:
    """Seed 001's Table I, its attacks' Tables II and III and figures."""
    input:
        audio_targets(),


rule defense:
    """Seed 002's post-averaging tables and figures (audio models too with defense.audio)."""
    input:
        defense_targets(),


rule robustness:
    """AutoAttack-grade robust accuracy, its checks and per-point records (beyond the seeds)."""
    input:
        robustness_targets(),


rule download_data:
    """Every configured dataset and pretrained network on disk (aeon, soundata and torchvision
    fetch them by name); nothing else."""
    input:
        data_targets(),
        pretrained_targets(),


rule download_pretrained:
    """The ImageNet weights `audio.pretrained_weights` asks for, through torchvision's registry."""
    input:
        pretrained_targets(),
