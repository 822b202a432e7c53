"""The official RRNet checkpoints (`Chan-0312/RRNet`, PyTorch) as Keras `RRNet`s, without torch.

**The layout expected** (the official repository's):

```
RRNet/
    data/refer_set/label_config.pkl          pickle: {"label_list": 21 names, "label_mean", "label_std": (21,),
                                                      "flux_mean", "flux_std": (7200,)}
    model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise/
        SP0/weight_best.pkl … SP5/           Teff[K], Logg, FeH        (the paper's six SP members)
        CA0/weight_best.pkl … CA5/           CH NH OH MgH AlH SiH SH KH CaH TiH CrH MnH NiH CuH
```

Each `weight_best.pkl` is `torch.save(net.state_dict())`: a zip archive holding `data.pkl` (the
pickled dict of tensors) and one raw little-endian file per storage (`data/<key>`).
`read_state_dict` reads it with `pickle` and NumPy alone (an `.npz` of the same names works too).

**The mapping**, tensor by tensor (torch → Keras):

| official `state_dict` name | Keras weight | transform |
|---|---|---|
| `ResBlock_list.{i}.0.ResBlock.0.weight/bias` | `residual_{i}_conv1` kernel/bias | kernel (out, in, k) → (k, in, out) |
| `ResBlock_list.{i}.0.ResBlock.2.weight/bias` | `residual_{i}_conv2` | same |
| `ResBlock_list.{i}.0.downsample.0.weight/bias` | `residual_{i}_shortcut` | same |
| `rnn.weight_ih_l0`, `rnn.weight_hh_l0` | `rnn` kernel, recurrent kernel | transposed |
| `rnn.bias_ih_l0` + `rnn.bias_hh_l0` | `rnn` bias | summed (Keras's cell has one bias) |
| `fc1.0.*`, `fc2.0.*` | `hidden_0`, `hidden_1` | kernel transposed; pre-RNN / raw: fc1's inputs reordered from torch's channel-major flattening to Keras's position-major |
| `mu.*`, `sigma.0.*` | `gaussian` mean / variance dense | kernel transposed |
| label_config `flux_mean`, `flux_std` | `standardization` mean / std | — |
| label_config `label_mean`, `label_std` of the member's labels | `target_mean`, `target_std` | — |

The official model's input is the standardised flux; the Keras model standardises inside
(`SpectrumStandardization`) with the same statistics, so both take the clipped normalised flux
(`domains.lamost.preprocessing`). This module reads and maps; `RRNet.from_official` builds the
model (`domains.lamost.model`). The official σ output is a softplus variance, as `GaussianHead`'s
(which adds 1e-6). Its residual blocks have no activation after the sum and one ReLU follows the
residual module: `RRNet(post_activation="module")`.

Example:
```python
from domains.lamost.model import RRNet, official_ensemble
member = RRNet.from_official("RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise/SP0")
ensemble = official_ensemble("RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise", family="stellar")
mean, sigma = ensemble.predict_gaussian(preprocess(spectra, rv=velocities).model_input())
```
"""

import io
import pathlib
import pickle
import re
import zipfile

import numpy as np

WEIGHT_FILE = "weight_best.pkl"
LABEL_CONFIG = pathlib.Path("data") / "refer_set" / "label_config.pkl"
# The official label names (label_config's `label_list`, `predict.py`) of each family, in the heads' order.
OFFICIAL_LABELS = {
    "stellar": ("Teff[K]", "Logg", "FeH"),
    "abundances": ("CH", "NH", "OH", "MgH", "AlH", "SiH", "SH", "KH", "CaH", "TiH", "CrH", "MnH", "NiH", "CuH"),
}
_DTYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "LongStorage": "<i8",
           "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1",
           "BoolStorage": "?", "BFloat16Storage": None}


class _StorageType:
    def __init__(self, name):
        self.name = name


def _rebuild_tensor(storage, offset, size, stride, *unused):
    itemsize = storage.dtype.itemsize
    if not size:
        return np.array(storage[offset], copy=True)
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * itemsize for s in stride))
    return np.array(view, copy=True)


class _Unpickler(pickle.Unpickler):
    """Unpickles torch's `data.pkl` into NumPy arrays: storages come from the archive's raw files."""

    def __init__(self, file, read_storage):
        super().__init__(file)
        self.read_storage = read_storage

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_parameter":
            return lambda data, requires_grad, hooks: data
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a torch state_dict")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        dtype = _DTYPES.get(getattr(storage_type, "name", ""))
        if dtype is None:
            raise pickle.UnpicklingError(f"unsupported storage {storage_type!r}")
        return np.frombuffer(self.read_storage(str(key)), dtype=dtype, count=int(numel))


def read_state_dict(path):
    """A PyTorch `state_dict` saved by `torch.save` (zip format, torch ≥ 1.6) or an `.npz`, as NumPy arrays.

    Args:
        path: str or Path of the file.

    Returns:
        dict {name: np.ndarray}.

    Raises:
        FileNotFoundError: no such file.
        ValueError: neither a torch zip checkpoint nor an `.npz` (e.g. a Git LFS pointer of a file
            that was not downloaded), naming the file.

    Example:
    ```python
    state = read_state_dict("RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise/SP0/weight_best.pkl")
    state["fc1.0.weight"].shape    # (256, 14400)
    ```
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (expected an official RRNet {WEIGHT_FILE}: a torch.save "
                                "state_dict)")
    head = path.read_bytes()[:200]
    if head.startswith(b"version https://git-lfs"):
        raise ValueError(f"{path}: a Git LFS pointer, not the weights: fetch the file itself (git lfs pull). "
                         f"Received: {head[:60]!r}")
    if path.suffix == ".npz":
        with np.load(path) as data:
            return {name: np.asarray(data[name]) for name in data.files}
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a torch zip checkpoint (torch >= 1.6's torch.save) nor an .npz. Received: "
                         f"{len(path.read_bytes())} bytes starting {head[:16]!r}")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("/data.pkl") or name == "data.pkl"]
        if not pickles:
            raise ValueError(f"{path}: a zip archive without data.pkl: not a torch.save checkpoint. "
                             f"Received entries: {names[:5]}")
        root = pickles[0][: -len("data.pkl")]

        def read_storage(key):
            return archive.read(f"{root}data/{key}")

        state = _Unpickler(io.BytesIO(archive.read(pickles[0])), read_storage).load()
    return {name: np.asarray(value) for name, value in state.items()}


def read_label_config(path):
    """The official `label_config.pkl`: label names, means, stds (21) and the flux mean/std per pixel.

    Args:
        path: str or Path.

    Returns:
        dict with "label_list", "label_mean", "label_std", "flux_mean", "flux_std".
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (expected the official data/refer_set/label_config.pkl)")
    with open(path, "rb") as file:
        config = pickle.load(file)
    missing = [key for key in ("label_list", "label_mean", "label_std", "flux_mean", "flux_std") if key not in config]
    if not isinstance(config, dict) or missing:
        raise ValueError(f"{path}: expected a dict with label_list, label_mean, label_std, flux_mean, flux_std. "
                         f"Received: missing {missing}")
    return config


def layout(state, mode=None, folder_name=""):
    """The RRNet configuration of an official state_dict: widths, steps, pixels and labels from the shapes.

    Args:
        state: dict {name: array} (`read_state_dict`).
        mode: "post-RNN", "pre-RNN", "raw" or None (from `folder_name`, else "post-RNN" when the
            state has RNN weights). Defaults to None.
        folder_name: str. The model folder's name, e.g. "RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise".

    Returns:
        dict: "mode", "widths", "rnn_steps", "num_pixels", "labels" ("stellar" or "abundances"),
        "hidden_units".
    """
    widths = []
    while f"ResBlock_list.{len(widths)}.0.ResBlock.0.weight" in state:
        widths.append(int(state[f"ResBlock_list.{len(widths)}.0.ResBlock.0.weight"].shape[0]))
    if not widths or "fc1.0.weight" not in state or "mu.weight" not in state:
        raise ValueError(f"not an official RRNet state_dict: expected ResBlock_list.*, fc1.0.weight, mu.weight. "
                         f"Received keys: {sorted(state)[:8]}...")
    features = int(state["fc1.0.weight"].shape[1])
    num_pixels = features * 2 ** len(widths) // widths[-1]
    if mode is None:
        named = re.search(r"_(post-RNN|pre-RNN|raw)", folder_name)
        mode = named.group(1) if named else ("post-RNN" if "rnn.weight_ih_l0" in state else "raw")
    if (mode == "raw") != ("rnn.weight_ih_l0" not in state):
        raise ValueError(f"mode={mode!r} does not match the state_dict (RNN weights "
                         f"{'absent' if 'rnn.weight_ih_l0' not in state else 'present'})")
    rnn_steps = 40
    if mode != "raw":
        step_size = int(state["rnn.weight_ih_l0"].shape[1])
        rnn_steps = (features if mode == "post-RNN" else num_pixels) // step_size
    labels = int(state["mu.weight"].shape[0])
    family = {3: "stellar", 14: "abundances"}.get(labels)
    if family is None:
        raise ValueError(f"expected 3 (SP) or 14 (CA) labels in mu.weight. Received: {labels}")
    hidden = (int(state["fc1.0.weight"].shape[0]), int(state["fc2.0.weight"].shape[0]))
    return {"mode": mode, "widths": tuple(widths), "rnn_steps": rnn_steps, "num_pixels": num_pixels,
            "labels": family, "hidden_units": hidden}


def label_statistics(label_config, family):
    """(mean, std) lists of a family's labels from label_config, in the heads' order."""
    names = list(label_config["label_list"])
    index = [names.index(name) for name in OFFICIAL_LABELS[family]]
    return (np.asarray(label_config["label_mean"])[index].tolist(),
            np.asarray(label_config["label_std"])[index].tolist())


def _conv(weight):
    return np.transpose(weight, (2, 1, 0))


def assign(model, state, label_config):
    """Copy an official state_dict and label_config's flux statistics into a built RRNet, tensor by tensor.

    Args:
        model: RRNet with post_activation="module" and the `layout` of `state`.
        state: dict {name: array}.
        label_config: dict.

    Raises:
        ValueError: label_config's flux statistics do not fit the model's pixels.
    """
    backbone = model.backbone
    standardization = backbone.get_layer("standardization")
    flux_mean = np.asarray(label_config["flux_mean"], "float32")
    if flux_mean.shape != (standardization.num_pixels,):
        raise ValueError(f"label_config's flux_mean has {flux_mean.shape} values; the checkpoint expects "
                         f"({standardization.num_pixels},). Received: flux_mean.shape={flux_mean.shape}")
    standardization.mean.assign(flux_mean)
    standardization.std.assign(np.asarray(label_config["flux_std"], "float32"))
    i = 0
    while f"ResBlock_list.{i}.0.ResBlock.0.weight" in state:
        prefix = f"ResBlock_list.{i}.0."
        pairs = [("ResBlock.0", "conv1"), ("ResBlock.2", "conv2")]
        if f"{prefix}downsample.0.weight" in state:
            pairs.append(("downsample.0", "shortcut"))
        for theirs, ours in pairs:
            backbone.get_layer(f"residual_{i}_{ours}").set_weights(
                [_conv(state[f"{prefix}{theirs}.weight"]), state[f"{prefix}{theirs}.bias"]])
        i += 1
    if "rnn.weight_ih_l0" in state:
        backbone.get_layer("rnn").set_weights(
            [state["rnn.weight_ih_l0"].T, state["rnn.weight_hh_l0"].T, state["rnn.bias_ih_l0"] + state["rnn.bias_hh_l0"]])
    fc1 = state["fc1.0.weight"]
    if model.mode != "post-RNN":
        # Without the post-RNN, torch flattens (batch, channels, positions) channel by channel; Keras
        # flattens (batch, positions, channels) position by position: fc1's inputs are reordered.
        channels = model.widths[-1]
        fc1 = fc1.reshape(len(fc1), channels, -1).transpose(0, 2, 1).reshape(len(fc1), -1)
    model.get_layer("hidden_0").set_weights([fc1.T, state["fc1.0.bias"]])
    model.get_layer("hidden_1").set_weights([state["fc2.0.weight"].T, state["fc2.0.bias"]])
    head = model.get_layer("gaussian")
    head.mean_dense.set_weights([state["mu.weight"].T, state["mu.bias"]])
    head.variance_dense.set_weights([state["sigma.0.weight"].T, state["sigma.0.bias"]])


def find_member(path, label_config=None):
    """(weight file, label_config file) of an official member folder or weight file.

    Args:
        path: a member folder (`.../SP0`) or its `weight_best.pkl`.
        label_config: str, Path or None: the clone's `data/refer_set/label_config.pkl` above `path`.

    Raises:
        FileNotFoundError: no label_config above the member and none given.
    """
    path = pathlib.Path(path)
    weights = path / WEIGHT_FILE if path.is_dir() else path
    if label_config is None:
        found = [parent / LABEL_CONFIG for parent in weights.parents if (parent / LABEL_CONFIG).is_file()]
        if not found:
            raise FileNotFoundError(f"{weights}: no {LABEL_CONFIG} in any folder above it (the official clone's "
                                    f"layout); give label_config=. Received: path={str(path)!r}")
        label_config = found[0]
    return weights, pathlib.Path(label_config)


def members(folder, family="stellar"):
    """The member folders of one family in an official model folder: `SP*` (stellar) or `CA*` (abundances).

    Args:
        folder: the model folder (`model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise`).
        family: "stellar" or "abundances". Defaults to "stellar".
    """
    prefix = {"stellar": "SP", "abundances": "CA"}.get(family)
    if prefix is None:
        raise ValueError(f'family must be "stellar" or "abundances". Received: family={family!r}')
    folder = pathlib.Path(folder)
    found = sorted(p for p in folder.glob(f"{prefix}*") if (p / WEIGHT_FILE).is_file())
    if not found:
        raise FileNotFoundError(f"{folder}: no {prefix}*/{WEIGHT_FILE} (expected the official model folder)")
    return found
