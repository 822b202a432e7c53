"""domains.aramaic — Imperial Aramaic script: a planned domain.

Its models are not built yet; only its real sample files are registered, in
`domains.aramaic.samples` (see `resuite data list`).
"""
