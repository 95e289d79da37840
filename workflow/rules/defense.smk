# Post-averaging (lin2019) on any trained model, named by its run path {run} (for example
# timeseries/GunPoint/baseline/none/seed0): attacks on the undefended model -> radius
# choice -> sweeps -> adaptive attack, under results/defense/{run}/; then one summary per
# branch. The settings that differ by branch come from defense_setting (common.smk).


rule attack_undefended:
    """The paper's Attacked set for one attack, at every budget of the branch's eps grid."""
    input:
        unpack(trained_model_inputs),
    output:
        "results/defense/{run}/attacked/{attack}.npz",
    log:
        "logs/attack_undefended/{run}/{attack}.log",
    benchmark:
        "benchmarks/attack_undefended/{run}/{attack}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("attack_undefended"),
        mem_mb=job_memory("attack_undefended"),
    params:
        run="{run}",
        attack_params=lambda wildcards: DEFENSE["attacks"][wildcards.attack],
        eps_grid=defense_setting("eps_grid"),
        n_test=defense_setting("n_test"),
        subset_seed=DEFENSE["defense_seed"],
        batch_size=defense_setting("batch_size"),
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/attack_undefended.py"


rule choose_radius:
    """r for the tables: the largest of the grid that keeps defended training accuracy."""
    input:
        unpack(trained_model_inputs),
    output:
        "results/defense/{run}/radius.json",
    log:
        "logs/choose_radius/{run}.log",
    benchmark:
        "benchmarks/choose_radius/{run}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("choose_radius"),
        mem_mb=job_memory("choose_radius"),
    params:
        run="{run}",
        n_train=defense_setting("n_train"),
        n_directions=DEFENSE["n_directions"],
        radius_grid=defense_setting("radius_grid"),
        max_clean_drop=DEFENSE["max_clean_drop"],
        defense_seed=DEFENSE["defense_seed"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/choose_radius.py"


rule evaluate_post_averaging:
    """Table 1, the r sweep (Figure 2), the K sweep (Table 2) and the eps sweep (Figure 3)."""
    input:
        unpack(trained_model_inputs),
        radius="results/defense/{run}/radius.json",
        attacked=expand(
            "results/defense/{{run}}/attacked/{attack}.npz",
            attack=list(DEFENSE["attacks"]),
        ),
    output:
        "results/defense/{run}/post_averaging.csv",
    log:
        "logs/evaluate_post_averaging/{run}.log",
    benchmark:
        "benchmarks/evaluate_post_averaging/{run}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("evaluate_post_averaging"),
        mem_mb=job_memory("evaluate_post_averaging"),
    params:
        run="{run}",
        attacks=list(DEFENSE["attacks"]),
        eps=defense_setting("eps"),
        n_directions=DEFENSE["n_directions"],
        n_directions_grid=DEFENSE["n_directions_grid"],
        radius_grid=defense_setting("radius_grid"),
        defense_seed=DEFENSE["defense_seed"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/evaluate_post_averaging.py"


rule adaptive_attack:
    """EOT-PGD and EOT-APGD-CE/DLR through the defence, beside the transferred PGD on the same inputs."""
    input:
        unpack(trained_model_inputs),
        radius="results/defense/{run}/radius.json",
        pgd="results/defense/{run}/attacked/pgd.npz",
    output:
        "results/defense/{run}/adaptive.csv",
    log:
        "logs/adaptive_attack/{run}.log",
    benchmark:
        "benchmarks/adaptive_attack/{run}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("adaptive_attack"),
        mem_mb=job_memory("adaptive_attack"),
    params:
        run="{run}",
        n_directions=DEFENSE["n_directions"],
        defense_seed=DEFENSE["defense_seed"],
        adaptive=DEFENSE["adaptive"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/adaptive_attack.py"


rule attack_post_averaging_l2:
    """APGD-CE/DLR with EOT (L2) through post-averaging at each radius of robustness.smoothing."""
    input:
        unpack(trained_model_inputs),
        radius="results/defense/{run}/radius.json",
    output:
        "results/defense/{run}/adaptive_l2.csv",
    log:
        "logs/attack_post_averaging_l2/{run}.log",
    benchmark:
        "benchmarks/attack_post_averaging_l2/{run}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("attack_post_averaging_l2"),
        mem_mb=job_memory("attack_post_averaging_l2"),
    params:
        run="{run}",
        radii=SMOOTHING["radii"] if SMOOTHING else [],
        n_test=SMOOTHING["n_test"] if SMOOTHING else None,
        subset_seed=ROBUSTNESS["subset_seed"],
        n_directions=DEFENSE["n_directions"],
        defense_seed=DEFENSE["defense_seed"],
        adaptive=DEFENSE["adaptive"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/attack_post_averaging_l2.py"


rule summarise_defense:
    """results/defense/{branch}/summary.csv (one row per model, attack, eps, K, r) and adaptive.csv."""
    input:
        post_averaging=lambda wildcards: PLAN.defense_files(
            wildcards.branch, "post_averaging.csv"
        ),
        adaptive=lambda wildcards: PLAN.defense_files(wildcards.branch, "adaptive.csv"),
    output:
        summary=report(
            "results/defense/{branch}/summary.csv",
            caption="../report/defense_summary.rst",
            category="Post-averaging",
            labels={"table": "{branch} models: summary (all rows)"},
        ),
        adaptive="results/defense/{branch}/adaptive.csv",
    log:
        "logs/summarise_defense/{branch}.log",
    benchmark:
        "benchmarks/summarise_defense/{branch}.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarise_defense.py"
