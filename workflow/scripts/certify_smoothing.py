"""Rule certify_smoothing: a Gaussian-noise-trained model -> results/robustness/{run}/certificates.csv."""

from signal_robustness.device import job_device
from signal_robustness.evaluate.smoothing import certified_accuracy, certify, with_raw_radius
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import save_csv
from signal_robustness.joblog import log_to_file

params = snakemake.params
smoothing = params.smoothing
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(params.device, snakemake.threads)
    run = load_run(params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    indices, x, y = run.test_subset(smoothing["n_test"], params.subset_seed)
    certificates = certify(
        run.model,
        x,
        y,
        smoothing["sigmas"],
        smoothing["n0"],
        smoothing["n"],
        smoothing["alpha"],
        seed=int(run.identity["seed"]),
        device=device,
        batch_size=params.batch_size,
        indices=indices,
    )
    log.info("\n%s", certified_accuracy(certificates, smoothing["radii"]).to_string(index=False))
    certificates = with_raw_radius(certificates, run.space, run.raw_scale(certificates["index"].to_numpy()))
    for column, value in reversed(list(run.identity.items())):
        certificates.insert(0, column, value)
    save_csv(snakemake.output[0], certificates)
