"""domains.fundus — retinal fundus photographs (diabetic retinopathy grading): a planned domain.

Its models are not built yet; only its real sample files are registered, in
`domains.fundus.samples` (see `resuite data list`).
"""
