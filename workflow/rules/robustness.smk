# AutoAttack-grade robust accuracy of any trained model {run} (a run path, as in defense.smk):
# APGD-CE, APGD-DLR and Square at each budget, per-point records -> one summary, table and
# checks per branch.


AUTOATTACK_SETTINGS = {
    "apgd_steps": ROBUSTNESS["apgd"]["steps"],
    "apgd_restarts": ROBUSTNESS["apgd"]["restarts"],
    "square_queries": ROBUSTNESS["square"]["queries"],
    "batch_size": ROBUSTNESS["batch_size"],
}


rule evaluate_robustness:
    """torchattacks' APGD-CE, APGD-DLR and Square (and the papers' FGSM and BIM on series) at every budget."""
    input:
        unpack(trained_model_inputs),
    output:
        "results/robustness/{run}/{norm}.csv",
    log:
        "logs/evaluate_robustness/{run}/{norm}.log",
    benchmark:
        "benchmarks/evaluate_robustness/{run}/{norm}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("evaluate_robustness"),
        mem_mb=job_memory("evaluate_robustness"),
    params:
        run="{run}",
        eps=lambda wildcards: PLAN.robustness_budgets(
            parse_run(wildcards.run)["branch"]
        )[wildcards.norm],
        eps_fractions=ROBUSTNESS["eps_fractions"],
        zero_budget_points=ROBUSTNESS["zero_budget_points"],
        cascade=ROBUSTNESS["cascade"],
        n_test=ROBUSTNESS["n_test"],
        subset_seed=ROBUSTNESS["subset_seed"],
        settings=AUTOATTACK_SETTINGS,
        # The papers' L-inf attacks beside, on the same series (time series only).
        papers_attacks=lambda wildcards: (
            {name: TIMESERIES["attacks"][name] for name in ("fgsm", "bim")}
            if parse_run(wildcards.run)["branch"] == "timeseries"
            and wildcards.norm == "linf"
            else {}
        ),
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/evaluate_robustness.py"


rule unbounded_attack:
    """Carlini et al.'s check: APGD-CE and APGD-DLR with the whole input box as budget must reach chance."""
    input:
        unpack(trained_model_inputs),
    output:
        "results/robustness/{run}/unbounded.json",
    log:
        "logs/unbounded_attack/{run}.log",
    benchmark:
        "benchmarks/unbounded_attack/{run}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("unbounded_attack"),
        mem_mb=job_memory("unbounded_attack"),
    params:
        run="{run}",
        # The box evaluate_robustness's attacks stay in.
        margin=lambda wildcards: 1.0
        + PLAN.robustness_budgets(parse_run(wildcards.run)["branch"]).get("linf", 0.0),
        n_test=ROBUSTNESS["n_test"],
        subset_seed=ROBUSTNESS["subset_seed"],
        settings=AUTOATTACK_SETTINGS,
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/unbounded_attack.py"


rule summarise_robustness:
    """One branch's records -> summary.csv, the AutoAttack-grade table and the checks."""
    input:
        records=lambda wildcards: [
            r[0] for r in PLAN.robustness_records(wildcards.branch)
        ],
    output:
        summary=report(
            "results/robustness/{branch}/summary.csv",
            caption="../report/robustness_summary.rst",
            category="Robust accuracy",
            labels={"table": "{branch} models: every budget (tidy CSV)"},
        ),
        table_csv="results/robustness/{branch}/tables/autoattack.csv",
        table_md="results/robustness/{branch}/tables/autoattack.md",
        table_tex="results/robustness/{branch}/tables/autoattack.tex",
        table_html=report(
            "results/robustness/{branch}/tables/autoattack.html",
            caption="../report/robustness_table.rst",
            category="Robust accuracy",
            labels={"table": "{branch} models: AutoAttack-grade robust accuracy"},
        ),
        checks=report(
            "results/robustness/{branch}/tables/checks.csv",
            caption="../report/robustness_checks.rst",
            category="Robust accuracy",
            labels={"table": "{branch} models: checks"},
        ),
    log:
        "logs/summarise_robustness/{branch}.log",
    benchmark:
        "benchmarks/summarise_robustness/{branch}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=lambda wildcards: [r[1] for r in PLAN.robustness_records(wildcards.branch)],
        norms=lambda wildcards: [
            r[2] for r in PLAN.robustness_records(wildcards.branch)
        ],
        settings=ROBUSTNESS,
    script:
        "../scripts/summarise_robustness.py"


rule certify_smoothing:
    """Randomized smoothing of a Gaussian-noise-trained model: a certified L2 radius per test point and sigma."""
    input:
        unpack(trained_model_inputs),
    output:
        "results/robustness/{run}/certificates.csv",
    log:
        "logs/certify_smoothing/{run}.log",
    benchmark:
        "benchmarks/certify_smoothing/{run}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("certify_smoothing"),
        mem_mb=job_memory("certify_smoothing"),
    params:
        run="{run}",
        smoothing=SMOOTHING,
        subset_seed=ROBUSTNESS["subset_seed"],
        batch_size=ROBUSTNESS["batch_size"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/certify_smoothing.py"


rule certified_accuracy:
    """One dataset's certified accuracy against L2 radius, beside post-averaging's adaptive L2 accuracy."""
    input:
        certificates=lambda wildcards: [
            f"results/robustness/{run}/certificates.csv"
            for run in PLAN.smoothed_runs(wildcards.branch, wildcards.dataset)
        ],
        post_averaging=lambda wildcards: post_averaging_l2_files(
            wildcards.branch, wildcards.dataset
        ),
    output:
        table="results/robustness/{branch}/certified/{dataset}.csv",
        figure=report(
            "results/robustness/{branch}/certified/{dataset}.png",
            caption="../report/certified_accuracy.rst",
            category="Robust accuracy",
            labels={
                "figure": "{dataset}: certified (smoothing) and empirical (post-averaging) L2"
            },
        ),
    log:
        "logs/certified_accuracy/{branch}_{dataset}.log",
    benchmark:
        "benchmarks/certified_accuracy/{branch}_{dataset}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        radii=SMOOTHING["radii"] if SMOOTHING else [],
    script:
        "../scripts/certified_accuracy.py"
