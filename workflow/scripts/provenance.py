"""Rule provenance: raw inputs + results -> results/provenance.json and its report page."""

from signal_robustness.io import save_json, save_text
from signal_robustness.joblog import log_to_file
from signal_robustness.provenance import device_info, provenance_record
from signal_robustness.report.provenance import provenance_html

with log_to_file(snakemake.log[0], snakemake.output) as log:
    params = snakemake.params
    raw_inputs = {name: list(snakemake.input[name]) for name in snakemake.input.keys() if name != "results"}
    record = provenance_record(
        params.code,
        params.packages,
        device_info(params.config["device"]),
        params.config,
        raw_inputs,
        list(snakemake.input.results),
    )
    save_json(snakemake.output.record, record)
    save_text(snakemake.output.page, provenance_html(record))
    log.info(
        "commit %s (dirty: %s); %d raw inputs, %d results hashed",
        params.code["commit"],
        params.code["dirty"],
        sum(entry["files"] for entry in record["raw_inputs"].values()),
        len(record["results"]),
    )
