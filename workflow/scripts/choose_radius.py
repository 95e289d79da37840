"""Rule choose_radius: model.pt + training data -> radius.json."""

from signal_robustness.defenses.protocol import choose_radius
from signal_robustness.device import job_device
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import save_json
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    run = load_run(snakemake.params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    _, x_train, y_train = run.train_subset(snakemake.params.n_train, snakemake.params.defense_seed)
    choice = choose_radius(
        run.model,
        x_train,
        y_train,
        snakemake.params.n_directions,
        snakemake.params.radius_grid,
        snakemake.params.max_clean_drop,
        snakemake.params.defense_seed,
        device,
    )
    log.info(
        "selected r = %s (within tolerance: %s) on %d training inputs",
        choice["selected_radius"],
        choice["within_tolerance"],
        len(y_train),
    )
    save_json(snakemake.output[0], choice)
