"""VNF packages: SOL004 CSARs and their SOL001 VNFDs, parsed offline into frozen models.

Pure library (no web, database or bus): ``parse_package`` for onboarding, the models and
their scaling arithmetic for lifecycle, ``vdu_template`` for the device templates of a
flavour's VDUs, ``build_csar`` for tests, samples and benchmarks.
"""
