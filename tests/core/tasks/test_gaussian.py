"""Gaussian regression: head, NLL, the task's label units and saving, the ensemble's mixture."""

import keras
import numpy as np
import pytest

from core.tasks.gaussian import GaussianEnsemble, GaussianHead, GaussianRegressor, train_ensemble


def _model(labels=("a", "b"), seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,))
    backbone = keras.Model(inputs, keras.layers.Dense(8, activation="relu")(inputs))
    return GaussianRegressor(backbone, label_names=list(labels), hidden_units=(8,), dropout=0.0)


def test_head_variance_is_positive_in_the_layout_gaussian_nll_reads():
    out = np.asarray(GaussianHead(3)(np.random.default_rng(0).normal(size=(5, 4)).astype("float32") * 50))
    assert out.shape == (5, 6) and np.all(out[:, 3:] > 0)


def test_targets_are_standardised_and_predictions_come_back_in_label_units(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype("float32")
    y = np.stack([5000 + 500 * x[:, 0], 3 + 0.5 * x[:, 1]], axis=1)
    model = _model()
    model.set_target_statistics(y)
    assert model.target_mean == pytest.approx(y.mean(axis=0).tolist())
    assert np.allclose(model.standardize_targets(y).std(axis=0), 1, atol=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(x, model.standardize_targets(y), epochs=15, batch_size=32, verbose=0)
    mean, sigma = model.predict_gaussian(x)
    # It learns the labels in their units (a constant prediction would be 500 K / 0.5 dex off).
    assert np.mean(np.abs(mean[:, 0] - y[:, 0])) < 150 and np.mean(np.abs(mean[:, 1] - y[:, 1])) < 0.15
    assert np.all(sigma > 0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.target_std == model.target_std and loaded.label_names == ["a", "b"]
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"y must be \(n, 2\)"):
        model.set_target_statistics(y[:, :1])


def test_ensemble_trains_members_from_their_seeds_saves_loads_and_resumes(tmp_path):
    x = np.random.default_rng(1).normal(size=(32, 6)).astype("float32")
    trained = []

    def build(i):
        model = _model(seed=i)
        model.compile()
        return model

    def train(model, run_dir, seed):
        trained.append(seed)
        model.fit(x, x[:, :2], epochs=1, verbose=0)

    ensemble = train_ensemble(build, train, size=2, output_dir=tmp_path, seed=10)
    assert trained == [10, 11] and len(ensemble.members) == 2
    means, _ = ensemble.predict_members(x)
    assert not np.allclose(means[0], means[1])  # different seeds, different members
    mean, sigma = ensemble.predict_gaussian(x)
    assert np.allclose(mean, means.mean(axis=0))
    # the spread of the members adds to their own variance: σ² = mean(μ_i² + σ_i²) − μ²
    _, sigmas = ensemble.predict_members(x)
    assert np.allclose(sigma ** 2, (means ** 2 + sigmas ** 2).mean(axis=0) - mean ** 2, rtol=1e-4, atol=1e-6)
    loaded = GaussianEnsemble.load(tmp_path)
    assert np.allclose(loaded.predict_gaussian(x)[1], sigma)
    # A rerun finds the members and trains none again.
    again = train_ensemble(build, train, size=2, output_dir=tmp_path, seed=10)
    assert trained == [10, 11] and np.allclose(again.predict_gaussian(x)[0], mean)
    with pytest.raises(ValueError, match="same labels"):
        GaussianEnsemble([_model(("a", "b")), _model(("c", "d"))])


def test_heads_start_at_the_constant_prediction_so_the_first_steps_are_stable():
    out = np.asarray(GaussianHead(2)(np.random.default_rng(0).normal(size=(4, 32)).astype("float32") * 30))
    assert np.all(out[:, :2] == 0) and np.allclose(out[:, 2:], 1.0 + 1e-6, atol=1e-5)
