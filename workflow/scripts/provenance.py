"""Rule provenance: raw inputs + results -> results/provenance.json and its report page."""

from pathlib import Path

from signal_robustness.data.ucr import TimeSeriesSplits
from signal_robustness.io import save_json, save_text
from signal_robustness.joblog import log_to_file
from signal_robustness.provenance import device_info, provenance_record
from signal_robustness.report.provenance import provenance_html

with log_to_file(snakemake.log[0], snakemake.output) as log:
    params = snakemake.params
    raw_inputs = {
        name: list(snakemake.input[name]) for name in snakemake.input.keys() if name not in ("results", "prepared")
    }
    # What preparing each UCR set changed (its NaN adjusted, or nothing), read from its data.npz.
    adjustments = {
        Path(path).parent.name: TimeSeriesSplits.load(path, Path(path).parent.name).adjustment()
        for path in snakemake.input.prepared
    }
    record = provenance_record(
        params.code,
        params.packages,
        device_info(params.config["device"]),
        params.config,
        raw_inputs,
        list(snakemake.input.results),
        {"missing_values": params.config["timeseries"]["missing_values"], "datasets": adjustments},
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
