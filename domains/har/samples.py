"""Real sample files of `domains.har`: the UEA BasicMotions and the UCR PickupGestureWiimoteZ
train and test splits (aeon's wheel), and the smartwatch shoulder-exercise recordings (seglearn's wheel).

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain har`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_AEON = dict(registry="pypi", package="aeon", version="1.6.0", artifact="wheel", artifact_mb=6.4)

register(
    Sample(
        "har.basicmotions_train", "har", **_AEON,
        member="aeon/datasets/data/BasicMotions/BasicMotions_TRAIN.ts",
        sha256="8dc43cc6306cb679c888c01e26f91772ac4441a916da43bac8b79734a538b9d6", nbytes=227790,
        description="UEA BasicMotions train split, .ts text: 40 cases x 6 channels (3-axis accelerometer + "
                    "gyroscope) x 100 steps at 10 Hz; Standing, Walking, Running, Badminton",
        licence="BSD-3-Clause (aeon); UEA archive data, cite Bagnall et al. 2018"),
    Sample(
        "har.basicmotions_test", "har", **_AEON,
        member="aeon/datasets/data/BasicMotions/BasicMotions_TEST.ts",
        sha256="79213102bc6fca1a398ad98ce1185dff0208fa3d1465e687f48288946b0ff8dc", nbytes=227713,
        description="UEA BasicMotions test split, .ts text: 40 cases x 6 x 100, same 4 classes",
        licence="BSD-3-Clause (aeon); UEA archive data, cite Bagnall et al. 2018"),
    Sample(
        "har.pickupgesture_train", "har", **_AEON,
        member="aeon/datasets/data/PickupGestureWiimoteZ/PickupGestureWiimoteZ_TRAIN.ts",
        sha256="4d303d9990df621c066fc454d62626e3721aed008462103500b86b1ac1ca92c8", nbytes=43921,
        description="UCR PickupGestureWiimoteZ train split, .ts text: 50 Wiimote z-axis acceleration series of "
                    "29-361 steps (variable length, univariate), 10 gestures x 5",
        licence="BSD-3-Clause (aeon); UCR archive data, cite Dau et al. 2019"),
    Sample(
        "har.pickupgesture_test", "har", **_AEON,
        member="aeon/datasets/data/PickupGestureWiimoteZ/PickupGestureWiimoteZ_TEST.ts",
        sha256="a9109bce918e48ee0e924e9cf2fdfdc4de364a3d88ec5e8aa44399ff08b11361", nbytes=44312,
        description="UCR PickupGestureWiimoteZ test split, .ts text: 50 series of 37-324 steps, same 10 gestures",
        licence="BSD-3-Clause (aeon); UCR archive data, cite Dau et al. 2019"),
)

register(
    Sample(
        "har.watch", "har", registry="pypi", package="seglearn", version="1.2.5", artifact="wheel", artifact_mb=11.3,
        member="seglearn/data/watch_dataset.npy",
        sha256="eb122f23cdf06ef6bd6c6c5312958ec5cf9d038e2e6d457b8081662c75a42537", nbytes=18118091,
        description="smartwatch shoulder-physiotherapy recordings (Burns et al. 2018): 140 whole recordings of 10 "
                    "subjects x 7 exercises x 2 arms, 6 channels (3-axis accelerometer + gyroscope) at 50 Hz, "
                    "947-2,618 steps; a .npy holding one pickled dict of arrays",
        licence="BSD-3-Clause (seglearn, by the data set's author D. M. Burns); cite Burns et al., Physiol. Meas. 2018"),
)
