"""domains.aramaic — Deep Aramaic: synthetic carved letters and the 22-letter classifier.

Aioanei, Hunziker-Rodewald, Klein, Michels, "Deep Aramaic: Towards a synthetic data paradigm
enabling machine learning in epigraphy", PLoS ONE 19(4):e0299297, 2024 (arXiv 2310.07310).

- `AramaicSynth` (`synth`): photo-realistic Old Aramaic letters carved in procedural stone, lit by
  a raking light, damaged and photographed; deterministic by seed, streamed into `tf.data` in
  parallel, exportable as an image folder or TFRecord shards. Its stages, one module each:
  `letter_form` (the glyph deformed, its strokes), `lighting` (the relief under a raking light),
  `stone` (basalt, limestone), `damage` (and the letter's legibility), `photograph` (the camera);
  `noise` holds their shared noise bank and blurs.
- `AramaicClassifier` (`model`): a 2-D ResNet from `core` over 22 letters + "No Letter", with
  calibrated probabilities (temperature scaling), top-3 answers and an "illegible" answer below a
  confidence threshold chosen on validation (`training.train_aramaic_classifier`).
- `letters`: the 22 class names + "No Letter", font checks, glyph distance fields.
- `hands`: other fonts and scripts of the Aramaic-derived alphabets (Phoenician, Hebrew, Palmyrene,
  Nabataean, Hatran, Samaritan, Syriac) mapped to the 22 classes: `AramaicSynth(fonts=["all" hands])`.
- `strokes`: letter forms from the glyph's strokes, each varied in angle, length, curvature,
  thickness and terminals (`AramaicSynth(stroke_variation=...)`).
- `generalisation`: leave-one-hand-out, and the "illegible" threshold calibrated on hands not
  trained on (`--option held_out_hands=... --option calibration_hands=...`).
- `data`: synthetic splits, folders of real letter crops (one sub-folder per letter).
- `evaluation`: accuracy, top-3, confusion, accuracy by damage and light, accuracy–coverage, mistakes.
- The CLI task `aramaic.letters` (`task`): `resuite train|evaluate|predict|demo aramaic.letters`.
- `presets`: `AramaicClassifier.from_preset("aramaic_letters_small")`, a narrow ResNet-18 trained on
  the synthetic stream (64 px; 76 % on the synthetic test split, see the README).

Example:
```python
from domains.aramaic import AramaicClassifier, AramaicSynth
synth = AramaicSynth(image_size=64)
images = synth.dataset(seed=0, num_examples=230).batch(23)
model = AramaicClassifier.from_preset("aramaic_letters_small")
model.answer(synth.arrays(3)[0])   # [{"answer": "Alef" or "illegible", "top3": [...], ...}, ...]
```
"""

from domains.aramaic import task  # noqa: F401  (registers the CLI task aramaic.letters)
from domains.aramaic.model import AramaicClassifier
from domains.aramaic.synth import AramaicSynth

__all__ = ["AramaicClassifier", "AramaicSynth"]
