# Post-averaging: attacks on the undefended model -> radius choice -> sweeps -> adaptive attack -> tables.


rule attack_undefended:
    """The seed's Attacked set for one attack, at every budget of the eps grid."""
    input:
        data="results/timeseries/{dataset}/data.npz",
        model="results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/model.pt",
    output:
        "results/defense/{dataset}/{method}/{regulariser}/seed{seed}/attacked/{attack}.npz",
    log:
        "logs/attack_undefended/{dataset}_{method}_{regulariser}_seed{seed}_{attack}.log",
    benchmark:
        "benchmarks/attack_undefended/{dataset}_{method}_{regulariser}_seed{seed}_{attack}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=60,
        mem_mb=4000,
    params:
        run=timeseries_run_path,
        attack_params=lambda wildcards: DEF["attacks"][wildcards.attack],
        eps_grid=DEF_EPS_GRID,
        n_test=DEF["n_test"],
        subset_seed=DEF["defense_seed"],
        batch_size=TS["attack_batch_size"],
        device=config["device"],
    script:
        "../scripts/attack_undefended.py"


rule choose_radius:
    """r for the tables: the largest of the grid that keeps defended training accuracy."""
    input:
        data="results/timeseries/{dataset}/data.npz",
        model="results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/model.pt",
    output:
        "results/defense/{dataset}/{method}/{regulariser}/seed{seed}/radius.json",
    log:
        "logs/choose_radius/{dataset}_{method}_{regulariser}_seed{seed}.log",
    benchmark:
        "benchmarks/choose_radius/{dataset}_{method}_{regulariser}_seed{seed}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=30,
        mem_mb=4000,
    params:
        run=timeseries_run_path,
        n_train=None,  # every training series
        n_directions=DEF["n_directions"],
        radius_grid=DEF["radius_grid"],
        max_clean_drop=DEF["max_clean_drop"],
        defense_seed=DEF["defense_seed"],
        device=config["device"],
    script:
        "../scripts/choose_radius.py"


rule evaluate_post_averaging:
    """Table 1, the r sweep (Figure 2), the K sweep (Table 2) and the eps sweep (Figure 3)."""
    input:
        data="results/timeseries/{dataset}/data.npz",
        model="results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/model.pt",
        radius="results/defense/{dataset}/{method}/{regulariser}/seed{seed}/radius.json",
        attacked=expand(
            "results/defense/{{dataset}}/{{method}}/{{regulariser}}/seed{{seed}}/attacked/{attack}.npz",
            attack=DEF_ATTACKS,
        ),
    output:
        "results/defense/{dataset}/{method}/{regulariser}/seed{seed}/post_averaging.csv",
    log:
        "logs/evaluate_post_averaging/{dataset}_{method}_{regulariser}_seed{seed}.log",
    benchmark:
        "benchmarks/evaluate_post_averaging/{dataset}_{method}_{regulariser}_seed{seed}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=60,
        mem_mb=8000,
    params:
        run=timeseries_run_path,
        attacks=DEF_ATTACKS,
        eps=DEF["eps"],
        n_directions=DEF["n_directions"],
        n_directions_grid=DEF["n_directions_grid"],
        radius_grid=DEF["radius_grid"],
        defense_seed=DEF["defense_seed"],
        device=config["device"],
    script:
        "../scripts/evaluate_post_averaging.py"


rule adaptive_attack:
    """EOT-PGD through the defence, beside the transferred PGD on the same series."""
    input:
        data="results/timeseries/{dataset}/data.npz",
        model="results/timeseries/{dataset}/{method}/{regulariser}/seed{seed}/model.pt",
        radius="results/defense/{dataset}/{method}/{regulariser}/seed{seed}/radius.json",
        pgd="results/defense/{dataset}/{method}/{regulariser}/seed{seed}/attacked/pgd.npz",
    output:
        "results/defense/{dataset}/{method}/{regulariser}/seed{seed}/adaptive.csv",
    log:
        "logs/adaptive_attack/{dataset}_{method}_{regulariser}_seed{seed}.log",
    benchmark:
        "benchmarks/adaptive_attack/{dataset}_{method}_{regulariser}_seed{seed}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=120,
        mem_mb=8000,
    params:
        run=timeseries_run_path,
        n_directions=DEF["n_directions"],
        defense_seed=DEF["defense_seed"],
        adaptive=DEF["adaptive"],
        device=config["device"],
    script:
        "../scripts/adaptive_attack.py"


rule summarise_defense:
    """results/defense/summary.csv (one row per model, attack, eps, K, r) and adaptive.csv."""
    input:
        post_averaging=defense_files("post_averaging.csv"),
        adaptive=defense_files("adaptive.csv"),
        radius=defense_files("radius.json"),
    output:
        summary=report(
            "results/defense/summary.csv",
            caption="../report/defense_summary.rst",
            category="Post-averaging",
            labels={"table": "summary (all rows)"},
        ),
        adaptive="results/defense/adaptive.csv",
    log:
        "logs/summarise_defense/summary.log",
    benchmark:
        "benchmarks/summarise_defense/summary.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/summarise_defense.py"


# The same steps on the audio models (defense.audio), with image-scale budgets and radii.
AUDIO_DEFENSE_RUN = (
    "results/defense/audio/{dataset}/{representation}/{model}/{training}/seed{seed}"
)
AUDIO_DEFENSE_LOG = "{dataset}_{representation}_{model}_{training}_seed{seed}"


rule attack_undefended_audio:
    """The seed's Attacked set for one attack on one audio model, at every budget of its eps grid."""
    input:
        unpack(audio_attack_inputs),
    output:
        f"{AUDIO_DEFENSE_RUN}/attacked/{{attack}}.npz",
    log:
        f"logs/attack_undefended_audio/{AUDIO_DEFENSE_LOG}_{{attack}}.log",
    benchmark:
        f"benchmarks/attack_undefended_audio/{AUDIO_DEFENSE_LOG}_{{attack}}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=120,
        mem_mb=16000,
    params:
        run=audio_run_path,
        attack_params=lambda wildcards: DEF["attacks"][wildcards.attack],
        eps_grid=DEF_AUDIO_EPS_GRID,
        n_test=DEF_AUDIO["n_test"] if DEF_AUDIO else None,
        subset_seed=DEF["defense_seed"],
        batch_size=AUDIO["attacks"]["batch_size"],
        device=config["device"],
    script:
        "../scripts/attack_undefended.py"


rule choose_radius_audio:
    """r for an audio model: the largest of its grid that keeps defended accuracy on n_test of its training images."""
    input:
        unpack(audio_attack_inputs),
    output:
        f"{AUDIO_DEFENSE_RUN}/radius.json",
    log:
        f"logs/choose_radius_audio/{AUDIO_DEFENSE_LOG}.log",
    benchmark:
        f"benchmarks/choose_radius_audio/{AUDIO_DEFENSE_LOG}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=60,
        mem_mb=16000,
    params:
        run=audio_run_path,
        n_train=DEF_AUDIO["n_test"] if DEF_AUDIO else None,
        n_directions=DEF["n_directions"],
        radius_grid=DEF_AUDIO["radius_grid"] if DEF_AUDIO else [],
        max_clean_drop=DEF["max_clean_drop"],
        defense_seed=DEF["defense_seed"],
        device=config["device"],
    script:
        "../scripts/choose_radius.py"


rule evaluate_post_averaging_audio:
    """Table 1, the r and K sweeps and the eps sweep on one audio model."""
    input:
        unpack(audio_attack_inputs),
        radius=f"{AUDIO_DEFENSE_RUN}/radius.json",
        attacked=expand(
            "results/defense/audio/{{dataset}}/{{representation}}/{{model}}/{{training}}/seed{{seed}}/attacked/{attack}.npz",
            attack=DEF_ATTACKS,
        ),
    output:
        f"{AUDIO_DEFENSE_RUN}/post_averaging.csv",
    log:
        f"logs/evaluate_post_averaging_audio/{AUDIO_DEFENSE_LOG}.log",
    benchmark:
        f"benchmarks/evaluate_post_averaging_audio/{AUDIO_DEFENSE_LOG}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=120,
        mem_mb=16000,
    params:
        run=audio_run_path,
        attacks=DEF_ATTACKS,
        eps=DEF_AUDIO["eps"] if DEF_AUDIO else None,
        n_directions=DEF["n_directions"],
        n_directions_grid=DEF["n_directions_grid"],
        radius_grid=DEF_AUDIO["radius_grid"] if DEF_AUDIO else [],
        defense_seed=DEF["defense_seed"],
        device=config["device"],
    script:
        "../scripts/evaluate_post_averaging.py"


rule adaptive_attack_audio:
    """EOT-PGD through the defence of one audio model, beside the transferred PGD."""
    input:
        unpack(audio_attack_inputs),
        radius=f"{AUDIO_DEFENSE_RUN}/radius.json",
        pgd=f"{AUDIO_DEFENSE_RUN}/attacked/pgd.npz",
    output:
        f"{AUDIO_DEFENSE_RUN}/adaptive.csv",
    log:
        f"logs/adaptive_attack_audio/{AUDIO_DEFENSE_LOG}.log",
    benchmark:
        f"benchmarks/adaptive_attack_audio/{AUDIO_DEFENSE_LOG}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=240,
        mem_mb=16000,
    params:
        run=audio_run_path,
        n_directions=DEF["n_directions"],
        defense_seed=DEF["defense_seed"],
        adaptive=DEF["adaptive"],
        device=config["device"],
    script:
        "../scripts/adaptive_attack.py"


rule summarise_defense_audio:
    """results/defense/audio/summary.csv (one row per audio model, attack, eps, K, r) and adaptive.csv."""
    input:
        post_averaging=defense_audio_files("post_averaging.csv"),
        adaptive=defense_audio_files("adaptive.csv"),
    output:
        summary=report(
            "results/defense/audio/summary.csv",
            caption="../report/defense_audio_summary.rst",
            category="Post-averaging",
            labels={"table": "audio models: summary (all rows)"},
        ),
        adaptive="results/defense/audio/adaptive.csv",
    log:
        "logs/summarise_defense_audio/summary.log",
    benchmark:
        "benchmarks/summarise_defense_audio/summary.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/summarise_defense.py"
