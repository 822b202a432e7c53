"""The official checkpoints: torch's zip format read without torch, and `RRNet.from_official` giving the official
model's outputs (fixtures made by `scripts/lamost_official_fixtures.py` from the official code, random weights)."""

import pathlib
import zipfile

import keras
import numpy as np
from absl.testing import parameterized

from core.testing import TestCase
from domains.lamost import official
from domains.lamost.model import ABUNDANCE_LABELS, STELLAR_LABELS, RRNet, official_ensemble

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "official"
MEMBERS = {"post-RNN": ("RRNet(Nr=[2-2-4]-Ns=10)_post-RNN_add-noise", "SP0", STELLAR_LABELS),
           "pre-RNN": ("RRNet(Nr=[2-2-4]-Ns=10)_pre-RNN_add-noise", "CA0", ABUNDANCE_LABELS)}


def _member(mode):
    folder, member, _ = MEMBERS[mode]
    return FIXTURES / "model_log" / folder / member


class OfficialCheckpointTest(TestCase):
    def test_the_torch_zip_checkpoint_is_read_without_torch(self):
        state = official.read_state_dict(_member("post-RNN") / official.WEIGHT_FILE)
        self.assertEqual(state["ResBlock_list.0.0.ResBlock.0.weight"].shape, (2, 1, 3))   # torch's (out, in, k)
        self.assertNotIn("ResBlock_list.1.0.downsample.0.weight", state)                   # 2 → 2: identity shortcut
        self.assertEqual((state["rnn.weight_ih_l0"].shape, state["fc1.0.weight"].shape), ((8, 8), (256, 80)))
        self.assertEqual(state["mu.weight"].dtype, np.float32)
        # The same bytes as the archive's raw storage of that tensor.
        with zipfile.ZipFile(_member("post-RNN") / official.WEIGHT_FILE) as archive:
            raw = [n for n in archive.namelist() if "/data/" in n]
            self.assertEqual(len(raw), len(state))
        self.assertEqual(official.layout(state, folder_name=MEMBERS["post-RNN"][0]),
                         {"mode": "post-RNN", "widths": (2, 2, 4), "rnn_steps": 10, "num_pixels": 160,
                          "labels": "stellar", "hidden_units": (256, 128)})

    @parameterized.named_parameters(("post_rnn_sp", "post-RNN"), ("pre_rnn_ca", "pre-RNN"))
    def test_from_official_gives_the_official_outputs(self, mode):
        expected = np.load(FIXTURES / f"expected_{mode}_{MEMBERS[mode][1]}.npz")
        model = RRNet.from_official(_member(mode))
        self.assertEqual((model.mode, model.post_activation, model.label_names), (mode, "module", list(MEMBERS[mode][2])))
        flux = expected["flux"]
        # Our preprocessing clips to [−0.5, 2.5] before the model; the official predict.py does it on load.
        x = np.stack([np.clip(flux, -0.5, 2.5), np.ones_like(flux)], -1).astype("float32")
        mean, sigma = model.predict_gaussian(x)
        self.assertAllClose(mean, expected["mean"], rtol=1e-4, atol=1e-3 * np.abs(expected["mean"]).max())
        # σ: the official softplus variance; GaussianHead adds 1e-6 to it.
        self.assertAllClose(sigma, expected["sigma"], rtol=1e-3, atol=1e-4)
        # The converted model saves and loads as itself.
        path = pathlib.Path(self.get_temp_dir()) / "member.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, compile=False)
        self.assertEqual(loaded.post_activation, "module")
        self.assertAllClose(loaded.predict_gaussian(x)[0], mean)

    def test_the_official_ensemble_and_the_layout_errors(self):
        folder = _member("post-RNN").parent
        ensemble = official_ensemble(folder, family="stellar")
        self.assertEqual((len(ensemble.members), ensemble.label_names), (1, list(STELLAR_LABELS)))
        with self.assertRaisesRegex(FileNotFoundError, "no CA\\*/weight_best.pkl"):
            official_ensemble(folder, family="abundances")
        tmp = pathlib.Path(self.get_temp_dir())
        pointer = tmp / "weight_best.pkl"
        pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 16000000\n")
        with self.assertRaisesRegex(ValueError, "Git LFS pointer"):
            official.read_state_dict(pointer)
        with self.assertRaisesRegex(FileNotFoundError, "label_config.pkl in any folder above"):
            RRNet.from_official(pointer)
        state = official.read_state_dict(_member("post-RNN") / official.WEIGHT_FILE)
        with self.assertRaisesRegex(ValueError, "does not match the state_dict"):
            official.layout(state, mode="raw")
        npz = tmp / "state.npz"
        np.savez(npz, **state)
        from_npz = RRNet.from_official(npz, label_config=FIXTURES / official.LABEL_CONFIG, mode="post-RNN")
        x = np.stack([np.ones((1, 160)), np.ones((1, 160))], -1).astype("float32")
        self.assertAllClose(from_npz.predict_gaussian(x)[0], RRNet.from_official(_member("post-RNN")).predict_gaussian(x)[0])
