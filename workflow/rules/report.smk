# Tables and figures, each beside the published numbers.


rule fawaz_comparison_table:
    """Our baseline ResNet (mean +- std over seeds) beside Fawaz et al. 2019."""
    input:
        summary=rules.summarise_timeseries.output[0],
        published=PUBLISHED["fawaz2019"],
    output:
        csv=report(
            "results/timeseries/tables/fawaz_comparison.csv",
            caption="../report/fawaz_comparison.rst",
            category="Time series",
            labels={"table": "baseline vs Fawaz 2019 (tidy CSV)"},
        ),
        markdown="results/timeseries/tables/fawaz_comparison.md",
        latex="results/timeseries/tables/fawaz_comparison.tex",
        html=report(
            "results/timeseries/tables/fawaz_comparison.html",
            caption="../report/fawaz_comparison.rst",
            category="Time series",
            labels={"table": "baseline vs Fawaz 2019"},
        ),
    log:
        "logs/fawaz_comparison_table/table.log",
    benchmark:
        "benchmarks/fawaz_comparison_table/table.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=PLAN.timeseries_run_paths(),
        epochs=TIMESERIES["epochs"],
    script:
        "../scripts/fawaz_comparison_table.py"


rule clean_vs_adversarial_figure:
    """Clean, FGSM and BIM accuracy per dataset, with Fawaz et al.'s values as markers."""
    input:
        summary=rules.summarise_timeseries.output[0],
        published=PUBLISHED["fawaz2019"],
    output:
        report(
            "results/timeseries/figures/clean_vs_adversarial.png",
            caption="../report/clean_vs_adversarial.rst",
            category="Time series",
            labels={"figure": "clean vs adversarial accuracy"},
        ),
    log:
        "logs/clean_vs_adversarial_figure/figure.log",
    benchmark:
        "benchmarks/clean_vs_adversarial_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=PLAN.timeseries_run_paths(),
        attacks=TIMESERIES["attacks"],
        epochs=TIMESERIES["epochs"],
    script:
        "../scripts/clean_vs_adversarial_figure.py"


rule training_curves_figure:
    """Training loss against epoch of every time-series classifier (history.csv), per dataset and method."""
    input:
        histories=[f"results/{run}/history.csv" for run in PLAN.timeseries_run_paths()],
    output:
        report(
            "results/timeseries/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Time series",
            labels={"figure": "training curves"},
        ),
    log:
        "logs/training_curves_figure/figure.log",
    benchmark:
        "benchmarks/training_curves_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=PLAN.timeseries_run_paths(),
        epochs=TIMESERIES["epochs"],
    script:
        "../scripts/training_curves_figure.py"


rule accuracy_vs_eps_figure:
    """FGSM and BIM accuracy against eps of every time-series method, per dataset (mean over seeds)."""
    input:
        curves=expand(
            "results/timeseries/{dataset}/accuracy_vs_eps/seed{seed}.csv",
            dataset=TIMESERIES["datasets"],
            seed=config["seeds"],
        ),
    output:
        table="results/timeseries/tables/accuracy_vs_eps.csv",
        figure=report(
            "results/timeseries/figures/accuracy_vs_eps.png",
            caption="../report/accuracy_vs_eps.rst",
            category="Time series",
            labels={"figure": "accuracy against eps (FGSM, BIM)"},
        ),
    log:
        "logs/accuracy_vs_eps_figure/figure.log",
    benchmark:
        "benchmarks/accuracy_vs_eps_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/accuracy_vs_eps_figure.py"


rule post_averaging_tables:
    """The paper's Tables 1 and 2 on one branch's models beside its published rows, and the adaptive attack's sanity checks."""
    input:
        summary="results/defense/{branch}/summary.csv",
        adaptive="results/defense/{branch}/adaptive.csv",
        published=PUBLISHED["lin2019"],
    output:
        table1_csv="results/defense/{branch}/tables/table1.csv",
        table1_md="results/defense/{branch}/tables/table1.md",
        table1_tex="results/defense/{branch}/tables/table1.tex",
        table1_html=report(
            "results/defense/{branch}/tables/table1.html",
            caption="../report/post_averaging_table1.rst",
            category="Post-averaging",
            labels={
                "table": "{branch} models, Table 1: attacks, defence rate, adaptive attack"
            },
        ),
        table2_csv="results/defense/{branch}/tables/table2.csv",
        table2_md="results/defense/{branch}/tables/table2.md",
        table2_tex="results/defense/{branch}/tables/table2.tex",
        table2_html=report(
            "results/defense/{branch}/tables/table2.html",
            caption="../report/post_averaging_table2.rst",
            category="Post-averaging",
            labels={"table": "{branch} models, Table 2: number of directions K"},
        ),
        sanity_csv=report(
            "results/defense/{branch}/tables/adaptive_checks.csv",
            caption="../report/post_averaging_checks.rst",
            category="Post-averaging",
            labels={"table": "{branch} models, adaptive attack: sanity checks"},
        ),
    log:
        "logs/post_averaging_tables/{branch}.log",
    benchmark:
        "benchmarks/post_averaging_tables/{branch}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=lambda wildcards: runs_of_branch(PLAN.defended_runs(), wildcards.branch),
        eps=lambda wildcards: DEFENSE_SETTINGS[wildcards.branch]["eps"],
        n_directions=DEFENSE["n_directions"],
        adaptive=DEFENSE["adaptive"],
    script:
        "../scripts/post_averaging_tables.py"


rule post_averaging_figures:
    """The paper's Figures 2 (r sweep) and 3 (eps sweep, with the adaptive attack) on one branch's models."""
    input:
        summary="results/defense/{branch}/summary.csv",
        adaptive="results/defense/{branch}/adaptive.csv",
    output:
        radius=report(
            "results/defense/{branch}/figures/radius_sweep.png",
            caption="../report/post_averaging_radius.rst",
            category="Post-averaging",
            labels={"figure": "{branch} models, Figure 2: radius r"},
        ),
        eps=report(
            "results/defense/{branch}/figures/eps_sweep.png",
            caption="../report/post_averaging_eps.rst",
            category="Post-averaging",
            labels={"figure": "{branch} models, Figure 3: budget ε, adaptive attack"},
        ),
    log:
        "logs/post_averaging_figures/{branch}.log",
    benchmark:
        "benchmarks/post_averaging_figures/{branch}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=lambda wildcards: runs_of_branch(PLAN.defended_runs(), wildcards.branch),
        eps=lambda wildcards: DEFENSE_SETTINGS[wildcards.branch]["eps"],
        n_directions=DEFENSE["n_directions"],
    script:
        "../scripts/post_averaging_figures.py"


rule augmentation_tables:
    """The time-series paper's Tables I-III: ours (mean ± std over seeds) beside the paper's values."""
    input:
        summary="results/timeseries/summary.csv",
        published=PUBLISHED["sarkar2020"],
    output:
        expand(
            "results/timeseries/tables/{table}.{ext}",
            table=["table1", "table2", "table3"],
            ext=["csv", "md", "tex"],
        ),
        table1=report(
            "results/timeseries/tables/table1.html",
            caption="../report/augmentation_tables.rst",
            category="Time series",
            labels={"table": "Table I: augmentations vs baseline"},
        ),
        table2=report(
            "results/timeseries/tables/table2.html",
            caption="../report/augmentation_tables.rst",
            category="Time series",
            labels={"table": "Table II: with Feat-Sim"},
        ),
        table3=report(
            "results/timeseries/tables/table3.html",
            caption="../report/augmentation_tables.rst",
            category="Time series",
            labels={"table": "Table III: gradient methods"},
        ),
    log:
        "logs/augmentation_tables/tables.log",
    benchmark:
        "benchmarks/augmentation_tables/tables.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=PLAN.timeseries_run_paths(),
        epochs=TIMESERIES["epochs"],
        attacks=TIMESERIES["attacks"],
    script:
        "../scripts/augmentation_tables.py"


rule augmentation_examples_figure:
    """The paper's Figure 3: a training series and its augmented versions, per method."""
    input:
        data=expand("results/timeseries/{dataset}/data.npz", dataset=FIGURE_DATASETS),
        augmented=expand(
            "results/timeseries/{dataset}/aug/{method}/seed{seed}.npz",
            dataset=FIGURE_DATASETS,
            method=PLAN.fixed_copy_methods(),
            seed=min(config["seeds"]),
        ),
    output:
        report(
            "results/timeseries/figures/augmentation_examples.png",
            caption="../report/augmentation_examples.rst",
            category="Time series",
            labels={"figure": "Figure 3: augmented series"},
        ),
    log:
        "logs/augmentation_examples_figure/figure.log",
    benchmark:
        "benchmarks/augmentation_examples_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        datasets=FIGURE_DATASETS,
        methods=PLAN.fixed_copy_methods(),
    script:
        "../scripts/augmentation_examples_figure.py"


rule latent_pca_figure:
    """The paper's Figures 5/6: PCA of the latent features of test series, per training method."""
    input:
        data="results/timeseries/{dataset}/data.npz",
        models=lambda wildcards: expand(
            "results/timeseries/{dataset}/{variant}/seed{seed}/model.pt",
            dataset=wildcards.dataset,
            variant=[
                f"{run['method']}/{run['regulariser']}"
                for run in PLAN.timeseries_runs()
                if run["dataset"] == wildcards.dataset
                and run["seed"] == min(config["seeds"])
            ],
            seed=min(config["seeds"]),
        ),
    output:
        report(
            "results/timeseries/figures/latent_pca_{dataset}.png",
            caption="../report/latent_pca.rst",
            category="Time series",
            labels={"figure": "Figures 5/6: latent PCA, {dataset}"},
        ),
    log:
        "logs/latent_pca_figure/{dataset}.log",
    benchmark:
        "benchmarks/latent_pca_figure/{dataset}.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/latent_pca_figure.py"


rule audio_table1:
    """sallo2020's Table I: accuracy and its drop after adversarial training, beside the paper."""
    input:
        summary=rules.summarise_audio.output[0],
        published=PUBLISHED["sallo2020"],
    output:
        csv="results/audio/tables/table1.csv",
        markdown="results/audio/tables/table1.md",
        latex="results/audio/tables/table1.tex",
        html=report(
            "results/audio/tables/table1.html",
            caption="../report/audio_table1.rst",
            category="Audio",
            labels={"table": "Table I: accuracy and drop after adversarial training"},
        ),
    log:
        "logs/audio_table1/table.log",
    benchmark:
        "benchmarks/audio_table1/table.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=PLAN.audio_runs(),
        training=AUDIO["training"],
        adversarial=AUDIO["adversarial_training"],
        image=AUDIO["image"],
    script:
        "../scripts/audio_table1.py"


rule audio_representations_figure:
    """One clip of the first audio dataset in every representation."""
    input:
        clips=f"results/audio/{AUDIO_FIGURE_DATASET}/clips.csv",
        waveforms=f"results/audio/{AUDIO_FIGURE_DATASET}/waveforms.npy",
    output:
        report(
            "results/audio/figures/representations.png",
            caption="../report/audio_representations.rst",
            category="Audio",
            labels={"figure": "one clip in every representation"},
        ),
    log:
        "logs/audio_representations_figure/figure.log",
    benchmark:
        "benchmarks/audio_representations_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        dataset=AUDIO_FIGURE_DATASET,
        sample_rate=AUDIO["sample_rate"],
        settings=representation_settings(AUDIO, AUDIO_FIGURE_DATASET),
    script:
        "../scripts/audio_representations_figure.py"


rule audio_attack_tables:
    """sallo2020's Tables II (fooling rate within the L2 bound) and III (ε_r), beside the paper."""
    input:
        searches=rules.summarise_attacks.output.searches,
        published=PUBLISHED["sallo2020"],
    output:
        table2_csv="results/attacks/tables/table2.csv",
        table2_markdown="results/attacks/tables/table2.md",
        table2_latex="results/attacks/tables/table2.tex",
        table2_html=report(
            "results/attacks/tables/table2.html",
            caption="../report/attacks_table2.rst",
            category="Audio attacks",
            labels={
                "table": "Table II: adversarially trained models within the L2 bound"
            },
        ),
        table3_csv="results/attacks/tables/table3.csv",
        table3_markdown="results/attacks/tables/table3.md",
        table3_latex="results/attacks/tables/table3.tex",
        table3_html=report(
            "results/attacks/tables/table3.html",
            caption="../report/attacks_table3.rst",
            category="Audio attacks",
            labels={"table": "Table III: perturbation ratio ε_r"},
        ),
    log:
        "logs/audio_attack_tables/tables.log",
    benchmark:
        "benchmarks/audio_attack_tables/tables.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        settings=AUDIO["attacks"],
        attacks=list(AUDIO["attacks"]["methods"]),
        image=AUDIO["image"],
    script:
        "../scripts/audio_attack_tables.py"


rule audio_adversarial_figure:
    """Figure 1: one test clip of the first model in every representation, clean and under every attack."""
    input:
        unpack(lambda wildcards: PLAN.audio_figure_searches()),
        clips=f"results/audio/{AUDIO_FIGURE_DATASET}/clips.csv",
    output:
        report(
            "results/attacks/figures/adversarial_examples.png",
            caption="../report/attacks_figure1.rst",
            category="Audio attacks",
            labels={"figure": "Figure 1: a clip under every attack"},
        ),
    log:
        "logs/audio_adversarial_figure/figure.log",
    benchmark:
        "benchmarks/audio_adversarial_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        **AUDIO_FIGURE_RUN,
        representations=AUDIO["representations"],
        attacks=list(AUDIO["attacks"]["methods"]),
    script:
        "../scripts/audio_adversarial_figure.py"


rule fooling_rate_figure:
    """The curves behind Table II: fooling rate against each attack's budget, per model."""
    input:
        summary=rules.summarise_attacks.output.summary,
    output:
        report(
            "results/attacks/figures/fooling_rate.png",
            caption="../report/attacks_fooling_rate.rst",
            category="Audio attacks",
            labels={"figure": "fooling rate against budget"},
        ),
    log:
        "logs/fooling_rate_figure/figure.log",
    benchmark:
        "benchmarks/fooling_rate_figure/figure.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        samples=AUDIO["attacks"]["samples"],
    script:
        "../scripts/fooling_rate_figure.py"


rule ucr_benchmark:
    """The UCR benchmark: leaderboard, per-set table, checks, CD diagrams, Fawaz et al. beside ours."""
    input:
        summary=rules.summarise_timeseries.output[0],
        robustness=lambda wildcards: (
            ["results/robustness/timeseries/summary.csv"]
            if PLAN.benchmark_robustness_runs()
            else []
        ),
        certificates=PLAN.benchmark_certificates(),
        unbounded=PLAN.benchmark_unbounded(),
        published=PUBLISHED["fawaz2019_all"],
    output:
        leaderboard=report(
            multiext("results/benchmark/leaderboard", ".csv", ".md", ".tex", ".html"),
            caption="../report/ucr_benchmark.rst",
            category="UCR benchmark",
        ),
        per_dataset=multiext(
            "results/benchmark/per_dataset", ".csv", ".md", ".tex", ".html"
        ),
        fawaz=multiext("results/benchmark/fawaz", ".csv", ".md", ".tex", ".html"),
        published_checks="results/benchmark/fawaz_published_checks.csv",
        conclusions="results/benchmark/conclusions.csv",
        cd_clean=report(
            "results/benchmark/cd_clean.png",
            caption="../report/ucr_benchmark.rst",
            category="UCR benchmark",
        ),
        cd_worst=report(
            "results/benchmark/cd_worst.png",
            caption="../report/ucr_benchmark.rst",
            category="UCR benchmark",
        ),
        scatter=report(
            "results/benchmark/clean_vs_worst.png",
            caption="../report/ucr_benchmark.rst",
            category="UCR benchmark",
        ),
    log:
        "logs/ucr_benchmark/benchmark.log",
    benchmark:
        "benchmarks/ucr_benchmark/benchmark.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=PLAN.timeseries_run_paths(),
        robustness_runs=PLAN.benchmark_robustness_runs(),
        baseline=config["benchmark"]["baseline"],
        certified=PLAN.benchmark_certified(),
        epochs=TIMESERIES["epochs"],
    script:
        "../scripts/ucr_benchmark.py"
