# Audio attacks (sallo2020, sections VI and VIII): every trained audio model -> one budget
# search per attack -> summary.csv and searches.csv (Tables II, III and Figure 1 in report.smk).


rule attack_audio:
    """One attack's budget search on the selected fold model of one audio classifier."""
    input:
        unpack(audio_model_inputs),
    output:
        search="results/attacks/{dataset}/{representation}/{model}/{training}/seed{seed}/{attack}.npz",
        summary="results/attacks/{dataset}/{representation}/{model}/{training}/seed{seed}/{attack}.json",
    log:
        "logs/attack_audio/{dataset}_{representation}_{model}_{training}_seed{seed}_{attack}.log",
    benchmark:
        "benchmarks/attack_audio/{dataset}_{representation}_{model}_{training}_seed{seed}_{attack}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("attack_audio"),
        mem_mb=job_memory("attack_audio"),
    params:
        bases=audio_bases,
        search=lambda wildcards: AUDIO["attacks"]["methods"][wildcards.attack],
        settings={
            key: AUDIO["attacks"][key]
            for key in ("samples", "batch_size", "threshold", "l2_bound")
        },
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/attack_audio.py"


rule summarise_attacks:
    """One row per budget run (summary.csv) and per search (searches.csv)."""
    input:
        PLAN.audio_attack_searches(),
    output:
        summary=report(
            "results/attacks/summary.csv",
            caption="../report/attacks_summary.rst",
            category="Audio attacks",
            labels={"table": "every budget of every search (tidy CSV)"},
        ),
        searches="results/attacks/searches.csv",
    log:
        "logs/summarise_attacks/summary.log",
    benchmark:
        "benchmarks/summarise_attacks/summary.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarise_attacks.py"
