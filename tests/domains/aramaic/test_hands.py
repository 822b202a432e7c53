"""`domains.aramaic.hands`: each script's 22 letters mapped to Alef ... Tav in order; absent fonts skipped."""

import logging
import unicodedata

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic import hands, letters
from domains.aramaic.synth import AramaicSynth

# The first and last letter of each script, by the start of their Unicode names' last word.
ALEF_TAV = {"imperial_aramaic": ("ALEPH", "TAW"), "phoenician": ("ALF", "TAU"), "hebrew": ("ALEF", "TAV"),
            "palmyrene": ("ALEPH", "TAW"), "nabataean": ("ALEPH", "TAW"), "hatran": ("ALEPH", "TAW"),
            "samaritan": ("ALAF", "TAAF"), "syriac": ("ALAPH", "TAW")}


def installed(name):
    found = hands.hand(name)
    if found.path is None:
        pytest.skip(f"the font of {name} is not installed (apt-get install {found.package})")
    return found


class MappingTest(TestCase):
    def test_every_script_maps_22_letters_in_alphabet_order(self):
        self.assertEqual(set(hands.SCRIPT_LETTER_NAMES), set(ALEF_TAV))
        for script, (first, last) in ALEF_TAV.items():
            codepoints = hands.script_codepoints(script)
            self.assertLen(codepoints, 22)
            main = [entry[0] if isinstance(entry, tuple) else entry for entry in codepoints]
            self.assertEqual(unicodedata.name(chr(main[0])).split()[-1], first, script)
            self.assertEqual(unicodedata.name(chr(main[-1])).split()[-1], last, script)
            # Alphabet order is each block's code point order (Hatran's one Daleth-Resh serves both).
            ordered = [cp for index, cp in enumerate(main) if cp not in main[:index]]
            self.assertTrue(all(a < b for a, b in zip(ordered[:-1], ordered[1:])), script)
            self.assertEqual(len(set(main)), 21 if script == "hatran" else 22, script)
            for entry in codepoints:  # every alternate is a final form of its own letter
                for alternate in (entry[1:] if isinstance(entry, tuple) else ()):
                    self.assertIn("FINAL", unicodedata.name(chr(alternate)))
                    self.assertEqual(unicodedata.name(chr(alternate)).split()[-1],
                                     unicodedata.name(chr(entry[0])).split()[-1])

    def test_hebrew_and_phoenician_letters_land_on_their_classes(self):
        hebrew = hands.script_codepoints("hebrew")
        self.assertEqual((hebrew[letters.class_index("Alef")], hebrew[letters.class_index("Tav")]), (0x05D0, 0x05EA))
        self.assertEqual(hebrew[letters.class_index("Kaf")], (0x05DB, 0x05DA))  # kaf, final kaf
        self.assertEqual(hebrew[letters.class_index("Lamed")], 0x05DC)
        self.assertEqual(hebrew[letters.class_index("Tsadik")], (0x05E6, 0x05E5))
        self.assertEqual(hands.script_codepoints("phoenician"), tuple(range(0x10900, 0x10916)))
        self.assertEqual(hands.script_codepoints("imperial_aramaic"), letters.CODEPOINTS)
        self.assertEqual(hands.script_codepoints("syriac")[letters.class_index("Ayin")], 0x0725)  # SYRIAC LETTER E
        with self.assertRaisesRegex(ValueError, "unknown script 'greek'"):
            hands.script_codepoints("greek")

    def test_names_and_resolving(self):
        self.assertEqual(len(set(hands.HAND_NAMES)), len(hands.HANDS))
        self.assertIn("phoenician:NotoSansPhoenician", hands.HAND_NAMES)
        self.assertEqual([h.name for h in hands.resolve("phoenician:*")],
                         ["phoenician:NotoSansPhoenician", "phoenician:Aegean_hint"])
        self.assertEqual(hands.resolve(["all", "hebrew:*"]), list(hands.HANDS))
        with self.assertRaisesRegex(ValueError, "unknown hand 'hebrew:Nope'"):
            hands.resolve(["hebrew:Nope"])


class AbsentFontTest(TestCase):
    def test_a_hand_whose_font_is_absent_is_skipped_with_its_package(self):
        absent = hands.Hand("phoenician", "NoSuchFont-Regular.ttf", "fonts-nothing")
        self.assertEqual(absent.name, "phoenician:NoSuchFont")
        self.assertIsNone(absent.path)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hands, "HANDS", (*hands.HANDS, absent))
            patch.setattr(hands, "HAND_NAMES", (*hands.HAND_NAMES, absent.name))
            with self.assertLogs(hands.LOGGER, logging.WARNING) as logged:
                found = hands.available_hands(["phoenician:NoSuchFont"])
            self.assertEqual(found, [])
            self.assertIn("apt-get install fonts-nothing", logged.output[0])
            self.assertEqual(hands.missing_hands(["phoenician:NoSuchFont"]),
                             {"phoenician:NoSuchFont": "NoSuchFont-Regular.ttf (fonts-nothing)"})
            with self.assertRaisesRegex(FileNotFoundError, "apt-get install fonts-nothing"):
                AramaicSynth(image_size=32, fonts=["phoenician:NoSuchFont"])


class InstalledHandsTest(TestCase):
    def test_hebrew_glyphs_hold_the_final_forms_as_alternates(self):
        hebrew = installed("hebrew:NotoSansHebrew")
        glyphs = letters.load_glyphs(hebrew.path, hebrew.codepoints)
        self.assertEqual(glyphs.sdf.shape[0], 27)
        np.testing.assert_array_equal(glyphs.classes[:22], np.arange(22))
        self.assertEqual([letters.LETTERS[c] for c in glyphs.classes[22:]], ["Kaf", "Mem", "Nun", "Pe", "Tsadik"])
        self.assertEqual(glyphs.codepoints[0], 0x05D0)
        # The final form is another drawing than its letter's (final kaf descends; kaf does not).
        self.assertFalse(np.array_equal(glyphs.masks[10], glyphs.masks[22]))
        with self.assertRaisesRegex(ValueError, "lacks 22 of the 22 Aramaic letters"):
            letters.check_font(hebrew.path)  # the Imperial Aramaic block is not in a Hebrew font

    def test_a_hand_renders_its_letters_and_sometimes_their_final_forms(self):
        installed("hebrew:NotoSansHebrew")
        synth = AramaicSynth(image_size=32, fonts=["hebrew:NotoSansHebrew"])
        plans = synth.conditions(23 * 12)
        kaf = [plan["glyph"] for plan in plans if plan["label"] == letters.class_index("Kaf")]
        self.assertEqual(set(kaf), {10, 22})  # kaf and final kaf
        alef = [plan["glyph"] for plan in plans if plan["label"] == 0]
        self.assertEqual(set(alef), {0})
        self.assertEqual(plans[0]["font"], "hebrew:NotoSansHebrew")

    def test_every_installed_hand_loads_22_distinct_letters(self):
        for found in hands.available_hands(log=False):
            glyphs = letters.load_glyphs(found.path, found.codepoints)
            flat = glyphs.masks[:22].reshape(22, -1)
            distinct = len({row.tobytes() for row in flat})
            self.assertEqual(distinct, 21 if found.script == "hatran" else 22, found.name)
