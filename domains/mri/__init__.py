"""domains.mri — brain MRI: DISGAN super-resolution and reference-free motion-artefact quality.

`domains.mri.io` reads and writes NIfTI through nibabel with clear errors for every bad file.
"""
