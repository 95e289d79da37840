# The run's provenance: code, packages, device, config, and the hashes of raw inputs and results.


rule provenance:
    """results/provenance.json: which code, packages, device, config and raw files the results came from."""
    input:
        unpack(provenance_inputs),
    output:
        record="results/provenance.json",
        page=report(
            "results/provenance.html",
            caption="../report/provenance.rst",
            category="Provenance",
            labels={"record": "code, packages, device, data"},
        ),
    log:
        "logs/provenance/provenance.log",
    benchmark:
        "benchmarks/provenance/provenance.tsv"
    conda:
        "../envs/pipeline.yaml"
    params:
        raw_contents=lambda wildcards: SOURCES.digests(),
        code=CODE_VERSION,
        packages=PACKAGE_VERSIONS,
        config=config,
    script:
        "../scripts/provenance.py"
