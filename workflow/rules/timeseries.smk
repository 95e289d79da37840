# Time series: UCR data -> Fawaz ResNet -> FGSM/BIM -> summary.csv


rule download_ucr:
    """Fetch one UCR dataset with aeon (a set in neither the local archive nor aeon's bundle)."""
    output:
        train=f"{config['download_dir']}/{{dataset}}/{{dataset}}_TRAIN.ts",
        test=f"{config['download_dir']}/{{dataset}}/{{dataset}}_TEST.ts",
    log:
        "logs/download_ucr/{dataset}.log",
    benchmark:
        "benchmarks/download_ucr/{dataset}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        # aeon writes <download_dir>/<Name>/<Name>_TRAIN.ts
        download_dir=lambda wildcards, output: str(Path(output.train).parent.parent),
    script:
        "../scripts/download_ucr.py"


rule prepare_ucr:
    """Read one UCR dataset's train and test files, check its labels, z-normalise it."""
    input:
        unpack(ucr_inputs),
    output:
        "results/timeseries/{dataset}/data.npz",
    log:
        "logs/prepare_ucr/{dataset}.log",
    benchmark:
        "benchmarks/prepare_ucr/{dataset}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        content=lambda wildcards: SOURCES.ucr_digest(wildcards.dataset),
        missing_values=TIMESERIES["missing_values"],
    script:
        "../scripts/prepare_ucr.py"


rule fit_odenet:
    """The ODENet that learns dz/dt of a dataset's training series (eq. 2), one per seed, so
    that the seed spread covers the ODENet's variance too; scored on the test series."""
    input:
        data="results/timeseries/{dataset}/data.npz",
    output:
        model="results/timeseries/{dataset}/odenet/seed{seed}.pt",
        history="results/timeseries/{dataset}/odenet/seed{seed}_history.csv",
        scores="results/timeseries/{dataset}/odenet/seed{seed}.json",
    log:
        "logs/fit_odenet/{dataset}_seed{seed}.log",
    benchmark:
        "benchmarks/fit_odenet/{dataset}_seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("fit_odenet"),
        mem_mb=job_memory("fit_odenet"),
    params:
        odenet=TIMESERIES["odenet"],
        device=config["device"],
    script:
        "../scripts/fit_odenet.py"


rule augment_timeseries:
    """One augmented copy of every training series, by one of the paper's methods."""
    input:
        unpack(augmentation_inputs),
    output:
        "results/timeseries/{dataset}/aug/{method}/seed{seed}.npz",
    log:
        "logs/augment_timeseries/{dataset}_{method}_seed{seed}.log",
    benchmark:
        "benchmarks/augment_timeseries/{dataset}_{method}_seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        runtime=job_runtime("augment_timeseries"),
        mem_mb=job_memory("augment_timeseries"),
    params:
        augment=TIMESERIES["augment"],
        device=config["device"],
    script:
        "../scripts/augment_timeseries.py"


rule train_timeseries:
    """Train Fawaz's ResNet (on original + augmented series for an augmentation method,
    with Feat-Sim when the regulariser says so); keep the best-training-loss weights."""
    input:
        unpack(training_inputs),
    output:
        model="results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/model.pt",
        history="results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/history.csv",
    log:
        "logs/train_timeseries/{dataset}_{method}_{regulariser}_seed{seed}.log",
    benchmark:
        "benchmarks/train_timeseries/{dataset}_{method}_{regulariser}_seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    # Tiny convolutional nets gain little from threads: run many jobs side by side instead.
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("train_timeseries"),
        mem_mb=job_memory("train_timeseries"),
    params:
        training=timeseries_recipe,
        feat_sim_loss=TIMESERIES["feat_sim_loss"],
        noise_sigma=lambda wildcards: (
            TIMESERIES["noise_sigma"] if wildcards.method in SMOOTHED_METHODS else None
        ),
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/train_timeseries.py"


rule attack_timeseries:
    """Clean, FGSM and BIM accuracy of every classifier of one dataset and seed, each on the
    whole test set, at the configured budget and along eps_curve: one job, so the data and
    torch load once, not once per classifier.
    """
    input:
        data=rules.prepare_ucr.output[0],
        models=PLAN.variant_files("model.pt"),
    output:
        metrics=PLAN.variant_files("metrics.json"),
        adversarial=PLAN.variant_files("adversarial.npz"),
        accuracy_vs_eps="results/timeseries/{dataset}/accuracy_vs_eps/seed{seed}.csv",
    log:
        "logs/attack_timeseries/{dataset}_seed{seed}.log",
    benchmark:
        "benchmarks/attack_timeseries/{dataset}_seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("attack_timeseries"),
        mem_mb=job_memory("attack_timeseries"),
    params:
        attacks={name: TIMESERIES["attacks"][name] for name in ("fgsm", "bim")},
        labels=TIMESERIES["attacks"]["labels"],
        eps_curve=TIMESERIES["attacks"]["eps_curve"],
        subset_seed=config["robustness"]["subset_seed"],
        batch_size=TIMESERIES["attack_batch_size"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/attack_timeseries.py"


rule summarise_timeseries:
    """One tidy row per trained classifier: dataset, method, feat_sim, seed, accuracies."""
    input:
        metrics_files(PLAN.timeseries_run_paths()),
    output:
        report(
            "results/timeseries/summary.csv",
            caption="../report/timeseries_summary.rst",
            category="Time series",
            labels={"table": "summary (all runs)"},
        ),
    log:
        "logs/summarise_timeseries/summary.log",
    benchmark:
        "benchmarks/summarise_timeseries/summary.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarise_timeseries.py"
