"""Readers of the public DR sets in their own on-disk layouts, and the paper's `global_split.ini`.

Nothing is downloaded: each reader takes the folder you unpacked. Every image is named
"Dataset/imageid" (the names of the paper's split file and released predictions: `Kaggle`,
`APTOS2019`, `Messidor2`, `IDRID`, `DDR`), gets its ICDR grade (0-4) and referable label
(grade >= 2), and a patient id where the set has one, so that splits keep both eyes together.

| format | layout (relative to the folder you pass) |
|---|---|
| `eyepacs` | `trainLabels.csv` (image,level) + `train/<image>.jpeg`; optional `retinopathy_solution.csv` (image,level,Usage) + `test/<image>.jpeg` |
| `aptos` | `train.csv` (id_code,diagnosis) + `train_images/<id_code>.png` |
| `messidor2` | `messidor_data.csv` (image_id,adjudicated_dr_grade,adjudicated_dme,adjudicated_gradable; Krause et al.'s adjudicated grades) + `IMAGES/<image_id>` |
| `idrid` | `B. Disease Grading/1. Original Images/{a. Training Set,b. Testing Set}/IDRiD_NNN.jpg` + `B. Disease Grading/2. Groundtruths/{a. IDRiD_Disease Grading_Training Labels.csv,b. IDRiD_Disease Grading_Testing Labels.csv}` (Image name,Retinopathy grade,Risk of macular edema) |
| `ddr` | `DR_grading/{train,valid,test}.txt` ("name.jpg grade" lines; grade 5 = ungradable) + `DR_grading/{train,valid,test}/` |

IDRiD numbers its testing images IDRiD_001-103 again; they are named IDRID/IDRiD_414-516 here, as
in the paper's released predictions, so that names stay unique. Patients: EyePACS names images `<patient>_left|right`; the other sets carry no patient in their
names (each image is its own patient). Ungradable images (DDR grade 5, Messidor-2
`adjudicated_gradable = 0`) are left out, as the paper's split leaves them out.

Example:
```python
# example: not run (needs your copy of the data set)
from domains.fundus.data import load_fundus
data = load_fundus("~/data/aptos2019", "aptos", seed=0)   # train / validation / test by patient
```
"""

import configparser
import csv
import pathlib

import numpy as np

from domains.fundus.data.pipeline import FundusData, FundusSplit
from domains.fundus.synthetic import referable

FORMATS = ("eyepacs", "aptos", "messidor2", "idrid", "ddr")
SOURCE_NAMES = {"eyepacs": "Kaggle", "aptos": "APTOS2019", "messidor2": "Messidor2", "idrid": "IDRID", "ddr": "DDR"}
IDRID_DIR = "B. Disease Grading"
IDRID_IMAGES = {"train": "1. Original Images/a. Training Set", "test": "1. Original Images/b. Testing Set"}
IDRID_LABELS = {"train": "2. Groundtruths/a. IDRiD_Disease Grading_Training Labels.csv",
                "test": "2. Groundtruths/b. IDRiD_Disease Grading_Testing Labels.csv"}
IDRID_TRAINING_IMAGES = 413
DDR_SUBSETS = {"train": "train", "validation": "valid", "test": "test"}
DDR_UNGRADABLE = 5
# Held out from a set's training images when it has no official validation (or test) split, by patient.
VALIDATION_FRACTION = 0.15
TEST_FRACTION = 0.2


def _read_csv(path, columns):
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such labels file (expected a CSV with columns {', '.join(columns)})")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = {name.strip(): name for name in reader.fieldnames or []}
        missing = [c for c in columns if c not in fields]
        if missing:
            raise ValueError(f"{path}: expected the columns {list(columns)}. Missing: {missing}. "
                             f"Received: {reader.fieldnames}")
        rows = [{c: (row[fields[c]] or "").strip() for c in columns} for row in reader]
    if not rows:
        raise ValueError(f"{path}: the labels file lists no images")
    return rows


def _grade(value, path, image):
    try:
        grade = int(float(value))
    except ValueError:
        raise ValueError(f"{path}: image {image!r} has a grade that is not a number. Received: {value!r}") from None
    return grade


def _split(source, folder, ids, grades, labels_path, suffix=None, patients=None, names=None):
    """A FundusSplit of `folder/<id>[suffix]`; every listed image must exist."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such image folder (named by {labels_path})")
    paths = [folder / (i + suffix if suffix else i) for i in ids]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ValueError(f"{labels_path} names {len(missing)} image(s) missing from {folder}: "
                         f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    grades = np.asarray(grades, int)
    bad = grades[(grades < 0) | (grades > 4)]
    if bad.size:
        raise ValueError(f"{labels_path}: ICDR grades are 0-4. Received: {sorted(set(bad.tolist()))}")
    names = np.array([f"{source}/{pathlib.Path(i).stem}" for i in (ids if names is None else names)])
    patients = names if patients is None else np.array([f"{source}/patient_{p}" for p in patients])
    return FundusSplit(grades=grades, labels=referable(grades), filenames=names, paths=np.array(paths, str),
                       patients=patients)


def read_eyepacs(root, subset="train"):
    """EyePACS / Kaggle 2015: `trainLabels.csv` + `train/` or `retinopathy_solution.csv` + `test/`."""
    root = pathlib.Path(root)
    labels = root / ("trainLabels.csv" if subset == "train" else "retinopathy_solution.csv")
    rows = _read_csv(labels, ("image", "level"))
    ids = [row["image"] for row in rows]
    grades = [_grade(row["level"], labels, row["image"]) for row in rows]
    patients = [image.rsplit("_", 1)[0] for image in ids]
    return _split("Kaggle", root / ("train" if subset == "train" else "test"), ids, grades, labels, ".jpeg", patients)


def read_aptos(root):
    """APTOS 2019 blindness detection: `train.csv` (id_code,diagnosis) + `train_images/<id_code>.png`."""
    root = pathlib.Path(root)
    rows = _read_csv(root / "train.csv", ("id_code", "diagnosis"))
    return _split("APTOS2019", root / "train_images", [r["id_code"] for r in rows],
                  [_grade(r["diagnosis"], root / "train.csv", r["id_code"]) for r in rows], root / "train.csv", ".png")


def read_messidor2(root):
    """Messidor-2 with Krause et al.'s adjudicated grades (`messidor_data.csv`), gradable images only."""
    root = pathlib.Path(root)
    labels = root / "messidor_data.csv"
    rows = _read_csv(labels, ("image_id", "adjudicated_dr_grade", "adjudicated_gradable"))
    rows = [r for r in rows if r["adjudicated_gradable"] in ("1", "1.0")]
    return _split("Messidor2", root / "IMAGES", [r["image_id"] for r in rows],
                  [_grade(r["adjudicated_dr_grade"], labels, r["image_id"]) for r in rows], labels)


def read_idrid(root, subset="train"):
    """IDRiD disease grading (`B. Disease Grading/`): the training (413) or testing (103) set."""
    base = pathlib.Path(root) / IDRID_DIR
    labels = base / IDRID_LABELS[subset]
    rows = _read_csv(labels, ("Image name", "Retinopathy grade"))
    ids = [r["Image name"] for r in rows]
    names = ids if subset == "train" else [_idrid_test_name(i, labels) for i in ids]
    return _split("IDRID", base / IDRID_IMAGES[subset], ids,
                  [_grade(r["Retinopathy grade"], labels, r["Image name"]) for r in rows], labels, ".jpg", names=names)


def _idrid_test_name(image, labels):
    """IDRiD numbers its testing images from IDRiD_001 again; the paper's names continue at IDRiD_414."""
    try:
        number = int(image.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        raise ValueError(f"{labels}: expected IDRiD_NNN image names. Received: {image!r}") from None
    return f"IDRiD_{IDRID_TRAINING_IMAGES + number:03d}"


def read_ddr(root, subset="train"):
    """DDR grading (`DR_grading/<subset>.txt` + folder), ungradable images (grade 5) left out."""
    base = pathlib.Path(root) / "DR_grading"
    labels = base / f"{DDR_SUBSETS[subset]}.txt"
    if not labels.is_file():
        raise FileNotFoundError(f"{labels}: no such labels file (expected lines 'name.jpg grade')")
    ids, grades = [], []
    for number, line in enumerate(labels.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{labels}, line {number}: expected 'name.jpg grade'. Received: {line!r}")
        grade = _grade(parts[1], labels, parts[0])
        if grade != DDR_UNGRADABLE:
            ids.append(parts[0])
            grades.append(grade)
    if not ids:
        raise ValueError(f"{labels}: the labels file lists no gradable images")
    return _split("DDR", base / DDR_SUBSETS[subset], ids, grades, labels)


def subset(split, index):
    """The images `index` of a split, as a new FundusSplit."""
    index = np.asarray(index, int)
    return FundusSplit(grades=split.grades[index], labels=split.labels[index], filenames=split.filenames[index],
                       paths=None if split.paths is None else split.paths[index],
                       images=None if split.images is None else split.images[index], patients=split.patients[index])


def concatenate(splits):
    """One FundusSplit from several (of paths)."""
    return FundusSplit(grades=np.concatenate([s.grades for s in splits]).astype(int),
                       labels=np.concatenate([s.labels for s in splits]).astype(int),
                       filenames=np.concatenate([s.filenames for s in splits]),
                       paths=np.concatenate([s.paths for s in splits]),
                       patients=np.concatenate([s.patients for s in splits]))


def split_by_patient(split, fraction, seed=0):
    """(rest, held out): about `fraction` of the patients held out, both eyes of a patient together."""
    from sklearn.model_selection import GroupShuffleSplit

    if len(set(split.patients.tolist())) < 2:
        raise ValueError(f"cannot split {len(split)} image(s) of one patient into two parts")
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    rest, held = next(splitter.split(split.filenames, groups=split.patients))
    return subset(split, rest), subset(split, held)


def load_fundus(root, format, seed=0):
    """A public set as `FundusData`: its official splits where it has them, else held out by patient.

    EyePACS: `train/` split 85 / 15 by patient, `test/` if its solution file is there (else 20 % of
    the patients); APTOS: 20 % test, then 15 % validation, by patient; Messidor-2: every gradable
    image is test (the paper tests on it; train and validation are empty); IDRiD: the official
    testing set, validation from the training set; DDR: its train / valid / test.

    Args:
        root: str or Path. The unpacked data set.
        format: str. One of `FORMATS`.
        seed: int. Seed of the held-out patient draws. Defaults to 0.
    """
    root = pathlib.Path(root).expanduser()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}. Received: format={format!r}")
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (expected the unpacked {format} data set)")
    if format == "ddr":
        train, validation, test = (read_ddr(root, s) for s in ("train", "validation", "test"))
    elif format == "messidor2":
        test = read_messidor2(root)
        train = validation = subset(test, [])
    else:
        if format == "eyepacs":
            everything = read_eyepacs(root)
            if (root / "retinopathy_solution.csv").is_file():
                test = read_eyepacs(root, "test")
            else:
                everything, test = split_by_patient(everything, TEST_FRACTION, seed)
        elif format == "aptos":
            everything, test = split_by_patient(read_aptos(root), TEST_FRACTION, seed)
        else:
            everything, test = read_idrid(root, "train"), read_idrid(root, "test")
        train, validation = split_by_patient(everything, VALIDATION_FRACTION, seed)
    return FundusData(train, validation, test, source=f"{format} ({root})")


def read_all(root, format):
    """Every gradable image of a set in one FundusSplit (all its official subsets), e.g. for `apply_global_split`."""
    root = pathlib.Path(root).expanduser()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}. Received: format={format!r}")
    if format == "eyepacs":
        parts = [read_eyepacs(root)] + ([read_eyepacs(root, "test")] if (root / "retinopathy_solution.csv").is_file()
                                        else [])
    elif format == "idrid":
        parts = [read_idrid(root, "train"), read_idrid(root, "test")]
    elif format == "ddr":
        parts = [read_ddr(root, s) for s in DDR_SUBSETS]
    else:
        parts = [read_aptos(root) if format == "aptos" else read_messidor2(root)]
    return concatenate(parts)


def read_global_split(path):
    """The paper's `data_split/global_split.ini`: {"training", "validation", "test": ["Dataset/imageid", ...]}.

    One `[split]` section of `type = holdout`, whose keys `training`, `validation` and `test`
    list comma-separated "Dataset/imageid" names.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such split file (expected the paper's global_split.ini)")
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error as error:
        raise ValueError(f"{path}: not an .ini split file: {error}") from None
    if "split" not in parser:
        raise ValueError(f"{path}: expected a [split] section. Received sections: {parser.sections()}")
    section = parser["split"]
    if section.get("type", "holdout").strip() != "holdout":
        raise ValueError(f"{path}: only holdout splits are supported. Received: type={section.get('type')!r}")
    missing = [key for key in ("training", "validation", "test") if key not in section]
    if missing:
        raise ValueError(f"{path}: the [split] section needs the keys training, validation, test. Missing: {missing}")
    return {key: [name.strip() for name in section[key].replace("\n", ",").split(",") if name.strip()]
            for key in ("training", "validation", "test")}


def apply_global_split(splits, path):
    """`FundusData` of the images named by a `global_split.ini`, gathered from the loaded sets.

    Args:
        splits: list of FundusSplit (every image of the sets you hold, e.g. `read_eyepacs(root)`
            and `read_aptos(root)`); an image is found by its "Dataset/imageid" name.
        path: the split file.

    Raises:
        ValueError: a patient on both sides of the split, or names of sets you loaded that are
        missing from them (names of sets you did not load are skipped and counted).
    """
    names = read_global_split(path)
    pool = concatenate(splits)
    where = {name: i for i, name in enumerate(pool.filenames)}
    loaded_sources = {name.split("/", 1)[0] for name in pool.filenames}
    parts, skipped = [], {}
    for key in ("training", "validation", "test"):
        wanted = [n for n in names[key] if n.split("/", 1)[0] in loaded_sources]
        absent = [n for n in wanted if n not in where]
        if absent:
            raise ValueError(f"{path}: {len(absent)} {key} image(s) of the loaded sets are not among them: "
                             f"{', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''}")
        skipped[key] = len(names[key]) - len(wanted)
        parts.append(subset(pool, [where[n] for n in wanted]))
    for (a, first), (b, second) in (((0, parts[0]), (2, parts[2])), ((0, parts[0]), (1, parts[1]))):
        shared = set(first.patients.tolist()) & set(second.patients.tolist())
        if shared:
            raise ValueError(f"{path}: {len(shared)} patient(s) on both sides of the split, e.g. {sorted(shared)[0]}")
    note = ", ".join(f"{k} {v}" for k, v in skipped.items() if v)
    source = f"global_split.ini ({path})" + (f"; images of sets not loaded, skipped: {note}" if note else "")
    return FundusData(*parts, source=source)
