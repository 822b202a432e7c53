"""Hands: the 22 letters drawn by other fonts and scripts of the Aramaic-derived alphabets.

A carver is another hand: a model trained on one font reads that font's letters and few others
(issue 23). A `Hand` is one font of one script whose 22 letters are mapped to the 22 classes
Alef ... Tav in alphabet order, so `AramaicSynth(fonts=[hand, ...])` can draw them:

| script | code points | notes |
|---|---|---|
| Imperial Aramaic | U+10840-10855 | the training font's block, 22 consecutive letters |
| Phoenician | U+10900-10915 | 22 consecutive letters, the same order |
| Hebrew (square script) | U+05D0-05EA | 22 letters; the final forms (kaf, mem, nun, pe, tsadi) are alternates of their letter |
| Palmyrene | U+10860-10876 | final nun an alternate of nun |
| Nabataean | U+10880-1089E | the final forms (aleph, beth, he, yodh, kaph, lamedh, mem, nun, shin) alternates of their letter |
| Hatran | U+108E0-108F5 | one letter DALETH-RESH for Dalet and Resh: this hand does not tell them apart |
| Samaritan | U+0800-0815 | 22 consecutive letters |
| Syriac | U+0710-072C | isolated forms; final semkath an alternate of semkath |

`HANDS` lists one face per font family that a Debian package installs (its regular weight: the
bold, light and oblique faces of a family are the same hand), e.g. `fonts-noto-core` (Noto),
`culmus` and `fonts-ldco` (Hebrew), `fonts-sil-ezra`, `fonts-ancient-scripts` (Aegean, whose
Phoenician letters are another hand). A hand's font is found where its package installs it
(`FONT_DIRS`, or the sample cache for the sample font); `available_hands` skips the hands whose
font is absent with a message that names the package to install.

Example:
```python
from domains.aramaic.hands import available_hands, hand
phoenician = hand("phoenician:NotoSansPhoenician")
phoenician.codepoints[0], phoenician.codepoints[-1]   # (67840, 67861): U+10900 Alf ... U+10915 Tau
hands = available_hands(["imperial_aramaic:NotoSansImperialAramaic", "phoenician:NotoSansPhoenician"])
synth = AramaicSynth(fonts=hands)                      # from domains.aramaic.synth
```
"""

import dataclasses
import logging
import os
import pathlib
import unicodedata

from domains.aramaic.letters import CODEPOINTS, DEFAULT_FONT_SAMPLE, LETTERS

LOGGER = logging.getLogger(__name__)

# Unicode letter names of each script, in the order of `LETTERS` (Alef ... Tav); a tuple holds the
# letter's main form first, then its alternates (final forms). Names, not numbers, so that a wrong
# entry fails in `unicodedata.lookup` instead of mapping a letter to its neighbour.
_FINALS = {"Kaf", "Mem", "Nun", "Pe", "Tsadik"}
SCRIPT_LETTER_NAMES = {
    "imperial_aramaic": tuple(unicodedata.name(chr(cp)) for cp in CODEPOINTS),
    "phoenician": tuple(f"PHOENICIAN LETTER {name}" for name in (
        "ALF", "BET", "GAML", "DELT", "HE", "WAU", "ZAI", "HET", "TET", "YOD", "KAF", "LAMD", "MEM", "NUN", "SEMK",
        "AIN", "PE", "SADE", "QOF", "ROSH", "SHIN", "TAU")),
    "hebrew": tuple((f"HEBREW LETTER {name}", f"HEBREW LETTER FINAL {name}") if letter in _FINALS
                    else f"HEBREW LETTER {name}" for letter, name in zip(LETTERS, (
                        "ALEF", "BET", "GIMEL", "DALET", "HE", "VAV", "ZAYIN", "HET", "TET", "YOD", "KAF", "LAMED",
                        "MEM", "NUN", "SAMEKH", "AYIN", "PE", "TSADI", "QOF", "RESH", "SHIN", "TAV"))),
    "palmyrene": tuple(("PALMYRENE LETTER NUN", "PALMYRENE LETTER FINAL NUN") if name == "NUN"
                       else f"PALMYRENE LETTER {name}" for name in (
                           "ALEPH", "BETH", "GIMEL", "DALETH", "HE", "WAW", "ZAYIN", "HETH", "TETH", "YODH", "KAPH",
                           "LAMEDH", "MEM", "NUN", "SAMEKH", "AYIN", "PE", "SADHE", "QOPH", "RESH", "SHIN", "TAW")),
    "nabataean": tuple((f"NABATAEAN LETTER {name}", f"NABATAEAN LETTER FINAL {name}")
                       if name in ("ALEPH", "BETH", "HE", "YODH", "KAPH", "LAMEDH", "MEM", "NUN", "SHIN")
                       else f"NABATAEAN LETTER {name}" for name in (
                           "ALEPH", "BETH", "GIMEL", "DALETH", "HE", "WAW", "ZAYIN", "HETH", "TETH", "YODH", "KAPH",
                           "LAMEDH", "MEM", "NUN", "SAMEKH", "AYIN", "PE", "SADHE", "QOPH", "RESH", "SHIN", "TAW")),
    "hatran": tuple(f"HATRAN LETTER {name}" for name in (
        "ALEPH", "BETH", "GIMEL", "DALETH-RESH", "HE", "WAW", "ZAYN", "HETH", "TETH", "YODH", "KAPH", "LAMEDH", "MEM",
        "NUN", "SAMEKH", "AYN", "PE", "SADHE", "QOPH", "DALETH-RESH", "SHIN", "TAW")),
    "samaritan": tuple(f"SAMARITAN LETTER {name}" for name in (
        "ALAF", "BIT", "GAMAN", "DALAT", "IY", "BAA", "ZEN", "IT", "TIT", "YUT", "KAAF", "LABAT", "MIM", "NUN",
        "SINGAAT", "IN", "FI", "TSAADIY", "QUF", "RISH", "SHAN", "TAAF")),
    "syriac": tuple(("SYRIAC LETTER SEMKATH", "SYRIAC LETTER FINAL SEMKATH") if name == "SEMKATH"
                    else f"SYRIAC LETTER {name}" for name in (
                        "ALAPH", "BETH", "GAMAL", "DALATH", "HE", "WAW", "ZAIN", "HETH", "TETH", "YUDH", "KAPH",
                        "LAMADH", "MIM", "NUN", "SEMKATH", "E", "PE", "SADHE", "QAPH", "RISH", "SHIN", "TAW")),
}


def script_codepoints(script):
    """The 22 letters of `script` as code points, Alef ... Tav: each an int, or a tuple (main form, alternates).

    Args:
        script: a key of `SCRIPT_LETTER_NAMES`.

    Raises:
        ValueError: an unknown script, listing the known ones.

    Example:
    ```python
    script_codepoints("hebrew")[0], script_codepoints("hebrew")[10]   # (1488, (1499, 1498)): alef; kaf, final kaf
    ```
    """
    if script not in SCRIPT_LETTER_NAMES:
        raise ValueError(f"hands.py: unknown script {script!r}. Expected one of: {', '.join(SCRIPT_LETTER_NAMES)}. "
                         f"Received: script={script!r}")

    def code(name):
        return ord(unicodedata.lookup(name))

    return tuple(tuple(code(n) for n in entry) if isinstance(entry, tuple) else code(entry)
                 for entry in SCRIPT_LETTER_NAMES[script])


# Where Debian's font packages install their files; `RESUITE_FONT_DIRS` (os.pathsep-separated) adds others.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


@dataclasses.dataclass(frozen=True)
class Hand:
    """One font of one script, its 22 letters mapped to the classes Alef ... Tav.

    Attributes:
        script: a key of `SCRIPT_LETTER_NAMES`.
        font_file: the font's file name (e.g. "NotoSansPhoenician-Regular.ttf").
        package: the Debian package that installs it.
        sample: name of a `core.data.samples` sample holding the font, or None.

    Example:
    ```python
    Hand("phoenician", "NotoSansPhoenician-Regular.ttf", "fonts-noto-core").name   # 'phoenician:NotoSansPhoenician'
    ```
    """

    script: str
    font_file: str
    package: str
    sample: str = None

    @property
    def name(self):
        """'script:Family', the font file's stem without its regular-weight suffix."""
        stem = pathlib.Path(self.font_file).stem
        for suffix in ("-Regular", "-Medium", "-Book", "-Light", "Regular"):
            if stem.endswith(suffix) and stem != suffix:
                stem = stem[: -len(suffix)]
                break
        return f"{self.script}:{stem}"

    @property
    def codepoints(self):
        return script_codepoints(self.script)

    @property
    def path(self):
        """The installed font file (pathlib.Path), or None when absent."""
        if self.sample is not None:
            from core.data import samples

            try:
                return samples.path(self.sample)
            except Exception:  # noqa: BLE001 - not fetched: look for the package's file below
                pass
        dirs = [*FONT_DIRS, *filter(None, os.environ.get("RESUITE_FONT_DIRS", "").split(os.pathsep))]
        for folder in dirs:
            folder = pathlib.Path(folder).expanduser()
            if folder.is_dir():
                found = next(iter(sorted(folder.rglob(self.font_file))), None)
                if found is not None:
                    return found
        return None


def _hands(script, package, *files, sample=None):
    return tuple(Hand(script, name, package, sample) for name in files)


HANDS = (
    *_hands("imperial_aramaic", "fonts-noto-core", "NotoSansImperialAramaic-Regular.ttf", sample=DEFAULT_FONT_SAMPLE),
    *_hands("phoenician", "fonts-noto-core", "NotoSansPhoenician-Regular.ttf"),
    *_hands("phoenician", "fonts-ancient-scripts", "Aegean_hint.ttf"),
    *_hands("palmyrene", "fonts-noto-core", "NotoSansPalmyrene-Regular.ttf"),
    *_hands("nabataean", "fonts-noto-core", "NotoSansNabataean-Regular.ttf"),
    *_hands("hatran", "fonts-noto-core", "NotoSansHatran-Regular.ttf"),
    *_hands("samaritan", "fonts-noto-core", "NotoSansSamaritan-Regular.ttf"),
    *_hands("syriac", "fonts-noto-core", "NotoSansSyriac-Regular.ttf"),
    *_hands("hebrew", "fonts-noto-core", "NotoSansHebrew-Regular.ttf", "NotoSerifHebrew-Regular.ttf",
            "NotoRashiHebrew-Regular.ttf"),
    *_hands("hebrew", "fonts-dejavu-core", "DejaVuSans.ttf"),
    *_hands("hebrew", "fonts-sil-ezra", "SILEOT.ttf"),
    *_hands("hebrew", "culmus", "DavidCLM-Medium.otf", "FrankRuehlCLM-Medium.ttf", "HadasimCLM-Regular.ttf",
            "KeterYG-Medium.ttf", "MiriamCLM-Book.ttf", "MiriamMonoCLM-Book.ttf", "NachlieliCLM-Light.otf",
            "ShofarRegular.ttf", "SimpleCLM-Medium.ttf", "StamAshkenazCLM.ttf", "StamSefaradCLM.ttf"),
    *_hands("hebrew", "fonts-ldco", *(f"{name}.ttf" for name in (
        "Amit", "Daniel", "ECO", "HarSinai", "Hidekel", "Josef", "Kimchi", "Lilach", "Miso", "Mixer", "Neo", "Noam",
        "PatchSans", "PatchSerif", "PatchStencil", "Sayphan", "Skechers", "Sticks", "Strokes", "YamSuf"))),
)
HAND_NAMES = tuple(h.name for h in HANDS)
# The Debian packages of `HANDS` (the project's setup installs them).
PACKAGES = tuple(dict.fromkeys(h.package for h in HANDS))


def hand(name):
    """The `Hand` called `name` ('script:Family', `HAND_NAMES`).

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    for known in HANDS:
        if known.name == name:
            return known
    raise ValueError(f"hands.py: unknown hand {name!r}. Expected one of: {', '.join(HAND_NAMES)}. Received: {name!r}")


def is_hand_name(value):
    """True if `value` is the name of a hand of `HANDS`."""
    return isinstance(value, str) and value in HAND_NAMES


def resolve(names):
    """Hands from names: 'all' for every hand, 'script:*' (e.g. 'hebrew:*') for a script's, or hand names.

    Args:
        names: str or list of str.

    Returns:
        list of `Hand` (no duplicates, in the order given; 'all' in `HANDS`' order).

    Example:
    ```python
    [h.name for h in resolve(["phoenician:*"])]   # ['phoenician:NotoSansPhoenician', 'phoenician:Aegean_hint']
    ```
    """
    names = [names] if isinstance(names, str) else list(names)
    found = []
    for name in names:
        if name == "all":
            found.extend(HANDS)
        elif isinstance(name, str) and name.endswith(":*"):
            script = name[:-2]
            script_codepoints(script)  # checks the script's name
            found.extend(h for h in HANDS if h.script == script)
        else:
            found.append(hand(name))
    return list(dict.fromkeys(found))


def available_hands(names="all", log=True):
    """The hands of `names` (`resolve`) whose font is installed; the others skipped, with a message each.

    Args:
        names: str or list of str (`resolve`). Defaults to "all".
        log: bool. Log a warning per skipped hand (naming the package to install). Defaults to True.

    Returns:
        list of `Hand`.

    Example:
    ```python
    [h.name for h in available_hands("samaritan:*")]   # ['samaritan:NotoSansSamaritan'] with fonts-noto-core
    ```
    """
    hands = []
    for candidate in resolve(names):
        if candidate.path is None:
            if log:
                LOGGER.warning("hand %s skipped: its font %s is not installed (apt-get install %s)", candidate.name,
                               candidate.font_file, candidate.package)
            continue
        hands.append(candidate)
    return hands


def missing_hands(names="all"):
    """The hands of `names` whose font is absent: {name: 'font file (package)'}."""
    return {h.name: f"{h.font_file} ({h.package})" for h in resolve(names) if h.path is None}
