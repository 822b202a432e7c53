"""Subject folds for choosing a recipe: built from the training subjects only, never the test split."""

import numpy as np

from core.testing import TestCase
from domains.har import HARData
from domains.har.crossval import cross_validate, pooled_scores, subject_folds, training_only


def _data():
    rng = np.random.default_rng(0)

    def split(subjects, first_recording):
        recordings = np.repeat(np.arange(first_recording, first_recording + 2 * len(subjects)), 3)
        y = recordings % 2
        x = rng.normal(size=(len(y), 8, 3)).astype("float32") + y[:, None, None]
        return x, y, np.repeat(subjects, 6), recordings

    x_tr, y_tr, s_tr, r_tr = split([1, 2, 3, 4], 0)
    x_va, y_va, s_va, r_va = split([5], 8)
    x_te, y_te, s_te, r_te = split([8, 9], 0)
    x_te[:] = np.nan  # poisoned: a fold that read the test split would carry NaNs
    return HARData(x_tr, y_tr, x_va, y_va, x_te, y_te, ["a", "b"], 10.0, ["x", "y", "z"],
                   subjects_train=s_tr, subjects_val=s_va, subjects_test=s_te, name="toy",
                   recordings_train=r_tr, recordings_val=r_va, recordings_test=r_te)


class SubjectFoldsTest(TestCase):
    def test_folds_hold_training_subjects_only_each_held_out_once(self):
        folds = subject_folds(_data(), 3)
        held_out = []
        for fold in folds:
            for split in ("train", "test"):
                self.assertFalse(np.isnan(getattr(fold, f"x_{split}")).any())
                self.assertTrue(set(getattr(fold, f"subjects_{split}")) <= {1, 2, 3, 4, 5})
            self.assertFalse(set(fold.subjects_train) & set(fold.subjects_test))
            self.assertEqual(len(fold.x_val), 0)
            held_out += sorted(set(fold.subjects_test))
        self.assertEqual(sorted(held_out), [1, 2, 3, 4, 5])

    def test_training_only_pools_validation_and_drops_test(self):
        pooled = training_only(_data())
        self.assertEqual(len(pooled.x_train), 30)
        self.assertEqual((len(pooled.x_val), len(pooled.x_test)), (0, 0))
        self.assertEqual(len(np.unique(pooled.recordings_train)), 10)

    def test_cross_validate_scores_every_training_recording_once(self):
        seen = []

        def fit_predict(fold, index):
            seen.append(fold)
            # A perfect model for the fold: one-hot of the true labels.
            return np.eye(2)[fold.y_test]

        result = cross_validate(_data(), fit_predict, 3)
        self.assertEqual(len(seen), 3)
        self.assertEqual(result["recordings"], 10)
        self.assertEqual(result["recording_accuracy_mean"], 1.0)
        self.assertEqual(result["window_accuracy"], 1.0)
        wrong = cross_validate(_data(), lambda fold, index: np.eye(2)[1 - fold.y_test], 3)
        self.assertEqual(wrong["recording_accuracy_log"], 0.0)

    def test_needs_subjects_and_a_possible_number_of_folds(self):
        data = _data()
        with self.assertRaisesRegex(ValueError, "n_folds=6"):
            subject_folds(data, 6)
        data.subjects_train = None
        with self.assertRaisesRegex(ValueError, "without subjects"):
            training_only(data)

    def test_folds_run_apart_pool_to_the_same_scores(self):
        rng = np.random.default_rng(2)
        noise = {}

        def fit_predict(fold, index):
            noise.setdefault(index, rng.dirichlet([1, 1], size=len(fold.y_test)))
            return noise[index]

        whole = cross_validate(_data(), fit_predict, 3)
        parts = [cross_validate(_data(), fit_predict, 3, only=[i]) for i in range(3)]
        self.assertEqual([p["per_fold"][0]["fold"] for p in parts], [0, 1, 2])
        pooled = pooled_scores([p["predictions"][0] for p in parts])
        self.assertEqual(pooled, {key: whole[key] for key in pooled})
