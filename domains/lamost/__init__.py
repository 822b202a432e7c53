"""domains.lamost — stellar spectra of the LAMOST survey: a planned domain.

Its models are not built yet; only its real sample files are registered, in
`domains.lamost.samples` (see `resuite data list`).
"""
