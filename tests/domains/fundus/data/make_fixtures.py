"""Write the tiny fixtures of the public sets' layouts (48-px SYNTHETIC drawings as images).

Run from the repository root: `PYTHONPATH=. python tests/domains/fundus/data/make_fixtures.py`.
"""
import pathlib, numpy as np
from PIL import Image
from domains.fundus.synthetic import synthetic_fundus

root = pathlib.Path("tests/domains/fundus/data/fixtures")
counter = [0]
def img(path, grade, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    counter[0] += 1
    Image.fromarray(np.asarray(Image.fromarray(synthetic_fundus(grade, 64, counter[0])).resize((48, 48)))).save(path, quality=70) if fmt != "png" else Image.fromarray(np.asarray(Image.fromarray(synthetic_fundus(grade, 64, counter[0])).resize((48, 48)))).save(path)

# EyePACS: 6 patients x 2 eyes in train, 2 patients in test.
e = root / "eyepacs"
rows = ["image,level"]
for p, grades in zip((10, 13, 15, 16, 17, 19), ((0, 0), (2, 1), (0, 4), (3, 3), (1, 0), (0, 2))):
    for eye, g in zip(("left", "right"), grades):
        rows.append(f"{p}_{eye},{g}"); img(e / "train" / f"{p}_{eye}.jpeg", g)
(e / "trainLabels.csv").write_text("\n".join(rows) + "\n")
rows = ["image,level,Usage"]
for p, grades in zip((1, 2), ((0, 2), (4, 1))):
    for eye, g in zip(("left", "right"), grades):
        rows.append(f"{p}_{eye},{g},{'Public' if p == 1 else 'Private'}"); img(e / "test" / f"{p}_{eye}.jpeg", g)
(e / "retinopathy_solution.csv").write_text("\n".join(rows) + "\n")
# APTOS 2019
a = root / "aptos"
rows = ["id_code,diagnosis"]
for i, g in enumerate((0, 1, 2, 3, 4, 0, 2, 0, 1, 3)):
    code = f"{i:03x}a1b2c3d4"; rows.append(f"{code},{g}"); img(a / "train_images" / f"{code}.png", g, "png")
(a / "train.csv").write_text("\n".join(rows) + "\n")
# Messidor-2 (Krause et al.'s adjudicated grades), one ungradable image.
m = root / "messidor2"
rows = ["image_id,adjudicated_dr_grade,adjudicated_dme,adjudicated_gradable"]
for i, (g, ok) in enumerate(((0, 1), (2, 1), (1, 1), (4, 1), (0, 0))):
    name = f"20051020_4{i}808_0100_PP.png" if i % 2 == 0 else f"IM00{i}23{i}.JPG"
    rows.append(f"{name},{g},0,{ok}"); img(m / "IMAGES" / name, g, "png" if name.endswith("png") else None)
(m / "messidor_data.csv").write_text("\n".join(rows) + "\n")
# IDRiD disease grading
d = root / "idrid" / "B. Disease Grading"
for subset, names, labels in (("a. Training Set", range(1, 7), "a. IDRiD_Disease Grading_Training Labels.csv"),
                              ("b. Testing Set", range(1, 4), "b. IDRiD_Disease Grading_Testing Labels.csv")):
    rows = ["Image name,Retinopathy grade,Risk of macular edema "]
    for n in names:
        g = (n * 3) % 5
        rows.append(f"IDRiD_{n:03d},{g},0"); img(d / "1. Original Images" / subset / f"IDRiD_{n:03d}.jpg", g)
    (d / "2. Groundtruths").mkdir(parents=True, exist_ok=True)
    (d / "2. Groundtruths" / labels).write_text("\n".join(rows) + "\n")
# DDR grading, with an ungradable image (grade 5).
r = root / "ddr" / "DR_grading"
for subset, grades in (("train", (0, 2, 5, 1, 3)), ("valid", (0, 4)), ("test", (2, 0, 5))):
    lines = []
    for i, g in enumerate(grades):
        name = f"007-{2800 + i}-{ {'train': 100, 'valid': 200, 'test': 300}[subset] }.jpg"
        lines.append(f"{name} {g}"); img(r / subset / name, min(g, 4))
    (r / f"{subset}.txt").write_text("\n".join(lines) + "\n")
# The paper's split format
(root / "global_split.ini").write_text("""[split]
type = holdout
training = Kaggle/10_left,Kaggle/10_right,Kaggle/13_left,Kaggle/13_right,Kaggle/15_left,Kaggle/15_right,APTOS2019/000a1b2c3d4,APTOS2019/001a1b2c3d4,Paraguay/1
validation = Kaggle/16_left,Kaggle/16_right,APTOS2019/002a1b2c3d4
test = Kaggle/17_left,Kaggle/17_right,Kaggle/19_left,Kaggle/19_right,APTOS2019/003a1b2c3d4,Messidor2/IM001231
""")
