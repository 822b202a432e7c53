"""Real sample files of `domains.fundus`: fundus photographs and other photographs from two wheels.

scikit-image's wheel holds the retina, the HRF microaneurysm crop and the ordinary photographs
the gate must refuse; the `fundus-image-toolbox` wheel holds three example notebooks whose
figures show real fundus photographs (and a white-out, a person and a ruler shot through a fundus
camera), which `domains.fundus.gallery` cuts out of the figures.

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain fundus`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_SKIMAGE = dict(registry="pypi", package="scikit-image", version="0.26.0", artifact="wheel", artifact_mb=13.7)

register(
    Sample(
        "fundus.retina", "fundus", **_SKIMAGE,
        member="skimage/data/retina.jpg",
        sha256="38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6", nbytes=269564,
        description="colour fundus photograph of a normal left eye, 1411x1411 RGB JPEG (skimage.data.retina)",
        licence="CC0-1.0 (Wikimedia Commons)"),
    Sample(
        "fundus.microaneurysms", "fundus", **_SKIMAGE,
        member="skimage/data/microaneurysms.png",
        sha256="a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456", nbytes=4950,
        description="102x102 green-channel crop with microaneurysms from an HRF diabetic-retinopathy image",
        licence="CC0-1.0 (HRF database)"),
)

_TOOLBOX = dict(registry="pypi", package="fundus-image-toolbox", version="0.1.3", artifact="wheel", artifact_mb=5.3,
                licence="MIT (fundus-image-toolbox, Berens Lab); the photographs are from public fundus sets")
# (name, file, sha256, bytes, description): photographs that are not fundus photographs.
_PHOTOGRAPHS = (
    ("astronaut", "astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", 791555,
     "portrait of astronaut Eileen Collins, 512x512 RGB"),
    ("chelsea", "chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", 240512,
     "an orange cat, 451x300 RGB"),
    ("coffee", "coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", 466706,
     "a cup of coffee on a brown table, 600x400 RGB"),
    ("rocket", "rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c", 112525,
     "a rocket launch, 640x427 RGB"),
    ("hubble", "hubble_deep_field.jpg", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4", 527940,
     "the Hubble deep field, 1000x872 RGB"),
    ("ihc", "ihc.png", "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef", 477916,
     "immunohistochemistry micrograph (brown stain), 512x512 RGB"),
    ("motorcycle", "motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179", 644701,
     "a motorcycle in a garage, 741x500 RGB"),
    ("camera", "camera.png", "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a", 139512,
     "the cameraman, 512x512 grayscale"),
    ("coins", "coins.png", "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba", 75825,
     "Greek coins, 384x303 grayscale"),
    ("moon", "moon.png", "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577", 50177,
     "the moon's surface, 512x512 grayscale"),
)

register(
    *(Sample(f"fundus.photo_{name}", "fundus", **_SKIMAGE, member=f"skimage/data/{file}", sha256=sha, nbytes=size,
             description=f"{text} (skimage.data; not a fundus photograph)", licence="scikit-image's data licences")
      for name, file, sha, size, text in _PHOTOGRAPHS),
    Sample(
        "fundus.toolbox_quality", "fundus", **_TOOLBOX,
        member="0_example_usage/usage_quality.ipynb",
        sha256="4398ac807be79480d65624aa617091b6e1a29aeeb05850087387e3677db8197a", nbytes=1676132,
        description="notebook whose figures show 9 fundus photographs, a white-out, a person and a ruler"),
    Sample(
        "fundus.toolbox_all", "fundus", **_TOOLBOX,
        member="0_example_usage/usage_all.ipynb",
        sha256="9ade6518e741d5cddf7c3efda2229e0abbd750ac452b2f2b415a1514f5e37b5b", nbytes=2002288,
        description="notebook whose figures show two fundus photographs (colour, red-free) several times"),
    Sample(
        "fundus.toolbox_vessels", "fundus", **_TOOLBOX,
        member="0_example_usage/usage_vessel-segmentation.ipynb",
        sha256="8e5ce7bcbd85dd685081e43b07c5cb5c86ee11d8d8de2db25f4bcbb890e38d1c", nbytes=312435,
        description="notebook whose figure shows a fundus photograph cropped inside its field of view"),
)
