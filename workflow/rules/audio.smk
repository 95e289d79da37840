# Audio (sallo2020): clips -> pitch-shifted waveforms -> STFT/CWT/tonnetz images ->
# six classifiers, original and FGSM adversarially trained -> summary.csv, Table I.


rule generate_synthetic_audio:
    """The synthetic sound set (five sound types) in ESC-50's layout: the default audio data."""
    output:
        directory("results/audio/synthetic/source"),
    log:
        "logs/generate_synthetic_audio/synthetic.log",
    benchmark:
        "benchmarks/generate_synthetic_audio/synthetic.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        synthetic=AUDIO["synthetic"],
        sample_rate=AUDIO["sample_rate"],
    script:
        "../scripts/generate_synthetic_audio.py"


rule fetch_imagenet_weights:
    """torchvision's ImageNet weights of one model, fetched through its registry (hash checked)."""
    output:
        f"{PRETRAINED_DIR}/{{model}}_imagenet.pt",
    log:
        "logs/fetch_imagenet_weights/{model}.log",
    benchmark:
        "benchmarks/fetch_imagenet_weights/{model}.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fetch_imagenet_weights.py"


# A checkpoint: the clips it fetches become prepare_audio's inputs once they are on disk.
checkpoint download_audio:
    """ESC-50 or UrbanSound8K through soundata, checked against the published checksums."""
    output:
        directory(f"{AUDIO['download_dir']}/{{folder}}"),
    log:
        "logs/download_audio/{folder}.log",
    benchmark:
        "benchmarks/download_audio/{folder}.tsv"
    conda:
        "../envs/pipeline.yaml"
    resources:
        runtime=240,
    script:
        "../scripts/download_audio.py"


rule prepare_audio:
    """Read every clip (mono, resampled, fixed length) and pitch-shift it at every scale."""
    input:
        unpack(audio_inputs),
    output:
        clips="results/audio/{dataset}/clips.csv",
        waveforms="results/audio/{dataset}/waveforms.npy",
    log:
        "logs/prepare_audio/{dataset}.log",
    benchmark:
        "benchmarks/prepare_audio/{dataset}.tsv"
    conda:
        "../envs/pipeline.yaml"
    resources:
        runtime=job_runtime("prepare_audio"),
        mem_mb=job_memory("prepare_audio"),
    params:
        content=lambda wildcards: SOURCES.audio_digest(wildcards.dataset),
        folder=audio_folder,
        sample_rate=AUDIO["sample_rate"],
        duration=audio_duration,
        pitch_scales=AUDIO["pitch_scales"],
    script:
        "../scripts/prepare_audio.py"


rule audio_representation:
    """One base representation (stft, cwt or tonnetz) of every clip and pitch-shifted copy."""
    input:
        waveforms="results/audio/{dataset}/waveforms.npy",
    output:
        "results/audio/{dataset}/features/{base}.npy",
    log:
        "logs/audio_representation/{dataset}_{base}.log",
    benchmark:
        "benchmarks/audio_representation/{dataset}_{base}.tsv"
    conda:
        "../envs/pipeline.yaml"
    # Clips are spread over processes; Snakemake lowers this to the cores it has.
    threads: lambda wildcards: costs.job_threads("audio_representation", wildcards)
    resources:
        runtime=job_runtime("audio_representation"),
        mem_mb=job_memory("audio_representation"),
    params:
        sample_rate=AUDIO["sample_rate"],
        settings=audio_representation_settings,
    script:
        "../scripts/audio_representation.py"


rule split_audio:
    """Test set and cross-validation folds of the development set, fixed by the seed."""
    input:
        clips="results/audio/{dataset}/clips.csv",
    output:
        "results/audio/{dataset}/splits/seed{seed}.csv",
    log:
        "logs/split_audio/{dataset}_seed{seed}.log",
    benchmark:
        "benchmarks/split_audio/{dataset}_seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        split=AUDIO["split"],
    script:
        "../scripts/split_audio.py"


rule train_audio:
    """One classifier on one cross-validation fold, early-stopped on the held-out fold."""
    input:
        unpack(audio_training_inputs),
    output:
        model="results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/fold{fold}/model.pt",
        history="results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/fold{fold}/history.csv",
        summary="results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/fold{fold}/training.json",
    log:
        "logs/train_audio/{dataset}_{representation}_{model}_{training}_seed{seed}_fold{fold}.log",
    benchmark:
        "benchmarks/train_audio/{dataset}_{representation}_{model}_{training}_seed{seed}_fold{fold}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("train_audio"),
        mem_mb=job_memory("train_audio"),
    params:
        bases=audio_bases,
        training=AUDIO["training"],
        adversarial=AUDIO["adversarial_training"],
        noise_sigma=(
            AUDIO["noise_training"]["sigma"] if AUDIO["noise_training"] else None
        ),
        weights_path=audio_pretrained_weights,
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/train_audio.py"


rule evaluate_audio:
    """Select the fold model with the best validation accuracy; its accuracy on the test clips."""
    input:
        unpack(audio_evaluation_inputs),
    output:
        "results/audio/{dataset}/{representation}/{model}/{training}/seed{seed}/metrics.json",
    log:
        "logs/evaluate_audio/{dataset}_{representation}_{model}_{training}_seed{seed}.log",
    benchmark:
        "benchmarks/evaluate_audio/{dataset}_{representation}_{model}_{training}_seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=job_runtime("evaluate_audio"),
        mem_mb=job_memory("evaluate_audio"),
    params:
        bases=audio_bases,
        adversarial=AUDIO["adversarial_training"],
        image=AUDIO["image"],
        device=config["device"],
        precision=config["precision"],
    script:
        "../scripts/evaluate_audio.py"


rule summarise_audio:
    """One row per (dataset, representation, model, adversarial training, seed)."""
    input:
        metrics_files(PLAN.audio_runs()),
    output:
        report(
            "results/audio/summary.csv",
            caption="../report/audio_summary.rst",
            category="Audio",
            labels={"table": "audio summary (tidy CSV)"},
        ),
    log:
        "logs/summarise_audio/summary.log",
    benchmark:
        "benchmarks/summarise_audio/summary.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarise_audio.py"
