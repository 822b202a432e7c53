"""domains.speech — speech audio: a planned domain.

Its models are not built yet; only its real sample files are registered, in
`domains.speech.samples` (see `resuite data list`).
"""
