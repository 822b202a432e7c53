"""FusionActNet (Saha et al. 2024): static and dynamic experts mixed by a residual MobileNet gate."""

import keras
from keras import ops

from core.api import export
from core.layers import InvertedResidualBlock, ResidualBlock
from core.layers import factories
from core.optimizers import Adam
from core.tasks import Task
from domains.har.data.ucihar import UCI_HAR_CHANNELS, UCI_HAR_CLASS_NAMES

EXPERT_FILTERS = (64, 128, 256, 512, 512)
# The paper's configuration: UCI HAR's 128-sample windows of 9 channels and its 3 + 3 activities.
PAPER_STATIC_CLASSES = ("SITTING", "STANDING", "LAYING")
GATE_STAGES = ((64, 2), (128, 3), (256, 3))


def build_expert(num_channels, num_classes, window_length=None, filters=EXPERT_FILTERS, name="expert"):
    """One FusionActNet expert: 5 residual 1-D conv blocks, each followed by max-pooling /2.

    Block: conv k3 → BN → ReLU → conv k3 → BN, plus a 1×1 conv projection of the input
    (always, as in the official code), then ReLU; global average pooling; a dense layer to
    the group's class logits. Convs carry biases, as in the reference (3,581,763 parameters
    for 9 channels and 3 classes).

    Args:
        num_channels: int. Input channels.
        num_classes: int. Classes of the expert's group.
        window_length: int or None. Time steps (None: variable).
        filters: tuple of int. Block widths. Defaults to (64, 128, 256, 512, 512).
        name: str. Model name.

    Returns:
        keras.Model mapping `(batch, time, channels)` to group logits.
    """
    inputs = keras.Input((window_length, num_channels), name="signals")
    x = inputs
    for i, width in enumerate(filters, start=1):
        x = ResidualBlock(
            1, width, shortcut="projection", shortcut_normalization=False, use_bias=True,
            kernel_initializer="glorot_uniform", name=f"block{i}",
        )(x)
        x = keras.layers.MaxPooling1D(2, name=f"pool{i}")(x)
    x = keras.layers.GlobalAveragePooling1D(name="gap")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_gate(num_channels, window_length=None, stem_filters=32, stages=GATE_STAGES, name="gate"):
    """FusionActNet's guidance module, a residual MobileNet: the weight w of the static expert.

    Conv k3 → BN → ReLU, then residual depthwise-separable blocks (depthwise k3 → BN →
    ReLU → pointwise → BN, plus a 1×1 projection; no activation after the addition),
    2 + 3 + 3 blocks of 64, 128, 256 channels; global average pooling → dense → sigmoid.
    432,193 parameters for 9 channels, as the official gate.

    Args:
        num_channels: int. Input channels.
        window_length: int or None. Time steps.
        stem_filters: int. Defaults to 32.
        stages: tuple of (filters, blocks). Defaults to ((64, 2), (128, 3), (256, 3)).
        name: str. Model name.

    Returns:
        keras.Model mapping `(batch, time, channels)` to `(batch, 1)` in (0, 1).
    """
    inputs = keras.Input((window_length, num_channels), name="signals")
    x = keras.layers.Conv1D(stem_filters, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = factories.normalization("batch", name="stem_norm")(x)
    x = keras.layers.ReLU(name="stem_act")(x)
    for s, (width, blocks) in enumerate(stages, start=1):
        for b in range(1, blocks + 1):
            x = InvertedResidualBlock(
                1, width, expansion_ratio=1, activation="relu", shortcut="projection", name=f"stage{s}_block{b}"
            )(x)
    x = keras.layers.GlobalAveragePooling1D(name="gap")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="weight")(x)
    return keras.Model(inputs, outputs, name=name)


@export
class GroupMixture(keras.layers.Layer):
    """Mix two groups' class probabilities with a gate weight, in the data set's label order.

    p = [w · softmax(static logits), (1 − w) · softmax(dynamic logits)], each group's entries
    scattered to their classes' label indices. The result sums to one: a single softmax per
    group, no second softmax on top (the official code applies one twice and concatenates
    static-first against dynamic-first labels; both are fixed here).

    Args:
        static_indices: list of int. Label index of each static-group class, in group order.
        dynamic_indices: list of int. Label index of each dynamic-group class.

    Examples:
    ```python
    mix = GroupMixture(static_indices=[0], dynamic_indices=[1, 2, 3])
    mix([np.zeros((1, 1)), np.zeros((1, 3)), np.full((1, 1), 0.25)]).numpy()   # [[0.25, 0.25, 0.25, 0.25]]
    ```
    """

    def __init__(self, static_indices, dynamic_indices, **kwargs):
        super().__init__(**kwargs)
        self.static_indices = [int(i) for i in static_indices]
        self.dynamic_indices = [int(i) for i in dynamic_indices]
        indices = sorted(self.static_indices + self.dynamic_indices)
        if indices != list(range(len(indices))) or not self.static_indices or not self.dynamic_indices:
            raise ValueError(
                "static_indices and dynamic_indices must be non-empty and together cover 0..n-1 once. "
                f"Received: static_indices={self.static_indices}, dynamic_indices={self.dynamic_indices}"
            )
        self.num_classes = len(indices)

    def _scatter(self, indices):
        matrix = [[1.0 if col == index else 0.0 for col in range(self.num_classes)] for index in indices]
        return ops.convert_to_tensor(matrix, dtype=self.compute_dtype)

    def call(self, inputs):
        static_logits, dynamic_logits, weight = inputs
        static = _group_softmax(static_logits) * weight
        dynamic = _group_softmax(dynamic_logits) * (1.0 - weight)
        return ops.matmul(static, self._scatter(self.static_indices)) + ops.matmul(
            dynamic, self._scatter(self.dynamic_indices)
        )

    def compute_output_shape(self, input_shapes):
        return (input_shapes[0][0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "static_indices": self.static_indices, "dynamic_indices": self.dynamic_indices}


def _group_softmax(logits):
    # A one-class group (BasicMotions' static group is "Standing" alone) has probability 1:
    # the gate alone then decides between it and the other group.
    if logits.shape[-1] == 1:
        return ops.ones_like(logits)
    return ops.softmax(logits, axis=-1)


@export
class FusionActNet(Task):
    """FusionActNet: static and dynamic activity experts fused by a residual MobileNet gate.

    Saha et al., IEEE Sensors Letters 8(8), 2024 (https://doi.org/10.1109/LSENS.2024.3423340;
    official code: github.com/utsabbuet17/FusionActNet). Activities are split into
    a static group (e.g. sitting, standing, lying) and a dynamic group (walking, running, ...);
    each group has an expert, and a gate network decides per window how much to trust each.
    The output is a probability per class in the data set's label order (not logits):
    compile with `SparseCategoricalCrossentropy(from_logits=False)` — `compile()` does so.

    Training recipe (paper): train each expert alone on its group's windows
    (`static_expert`, `dynamic_expert` are sub-models returning group logits), then the
    whole model end to end with a small learning rate. `domains.har.training` implements it.

    Any activity set works: pass the class names and which of them are static. With no
    arguments it is the paper's configuration on UCI HAR (9 channels, 128-sample windows,
    3 static + 3 dynamic activities: 7,595,719 parameters, the official count).

    Args:
        num_channels: int. Sensor channels per time step. Defaults to 9 (UCI HAR).
        class_names: list of str. All classes, in label order. Defaults to UCI HAR's six.
        static_classes: list of str. The names of the static classes (the rest are dynamic).
            Defaults to ("SITTING", "STANDING", "LAYING"). Empty: one expert on every class and no
            gate (`static_expert` and `gate` are `None`), for sets with no grouping to exploit.
        window_length: int or None. Time steps per window (None: variable). Defaults to 128.
        expert_filters: tuple of int. Defaults to (64, 128, 256, 512, 512).
        gate_stem_filters: int. Defaults to 32.
        gate_stages: tuple of (filters, blocks). Defaults to ((64, 2), (128, 3), (256, 3)).

    Example:
    ```python
    paper = FusionActNet()                       # UCI HAR: 9 channels, 6 activities
    model = FusionActNet(num_channels=6, class_names=["Standing", "Running", "Walking", "Badminton"],
                         static_classes=["Standing"], window_length=100)
    model.compile()                              # Adam 1e-4, cross-entropy on probabilities
    model(np.zeros((2, 100, 6), "float32")).shape   # (2, 4)
    ```
    """

    # Trainable parameters of `FusionActNet()` as the official PyTorch code counts them
    # (github.com/utsabbuet17/FusionActNet: experts 3,581,763 each, gate 432,193; BN statistics
    # excluded), 9 channels x 128 steps, 3 static + 3 dynamic classes.
    paper_parameters = 7_595_719

    def __init__(
        self,
        num_channels=len(UCI_HAR_CHANNELS),
        class_names=UCI_HAR_CLASS_NAMES,
        static_classes=PAPER_STATIC_CLASSES,
        window_length=128,
        expert_filters=EXPERT_FILTERS,
        gate_stem_filters=32,
        gate_stages=GATE_STAGES,
        **kwargs,
    ):
        class_names = list(class_names)
        unknown = [c for c in static_classes if c not in class_names]
        if unknown:
            raise ValueError(f"static_classes {unknown} are not in class_names={class_names}")
        static_indices = [class_names.index(c) for c in static_classes]
        dynamic_indices = [i for i in range(len(class_names)) if i not in static_indices]
        if not dynamic_indices or len(class_names) < 2:
            raise ValueError(
                "FusionActNet needs at least one dynamic class (static_classes=[]: one expert on every class). "
                f"Received: static_classes={list(static_classes)} of class_names={class_names}"
            )
        gate_stages = tuple(tuple(stage) for stage in gate_stages)
        shortest = 2 ** len(expert_filters)
        if window_length is not None and window_length < shortest:
            raise ValueError(
                f"Each expert halves the time axis {len(expert_filters)} times: windows need at least "
                f"{shortest} time steps. Received: window_length={window_length}"
            )
        # === Functional Model ===
        static_expert = None
        if static_indices:
            static_expert = build_expert(num_channels, len(static_indices), window_length, expert_filters,
                                         name="static_expert")
        dynamic_expert = build_expert(num_channels, len(dynamic_indices), window_length, expert_filters,
                                      name="dynamic_expert")
        if static_indices:
            gate = build_gate(num_channels, window_length, gate_stem_filters, gate_stages, name="gate")
            for expert in (static_expert, dynamic_expert):
                # A one-class expert's output is constant (see `_group_softmax`): nothing to train.
                expert.trainable = expert.output_shape[-1] > 1
            inputs = keras.Input((window_length, num_channels), name="signals")
            outputs = GroupMixture(static_indices, dynamic_indices, name="mixture")(
                [static_expert(inputs), dynamic_expert(inputs), gate(inputs)]
            )
        else:
            # One expert (`domains.har.grouping.choose_grouping` found no grouping a gate could route).
            gate = None
            inputs = keras.Input((window_length, num_channels), name="signals")
            outputs = keras.layers.Softmax(name="mixture")(dynamic_expert(inputs))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.static_expert = static_expert
        self.dynamic_expert = dynamic_expert
        self.gate = gate
        self.num_channels = num_channels
        self.class_names = class_names
        self.static_classes = list(static_classes)
        self.static_indices = static_indices
        self.dynamic_indices = dynamic_indices
        self.window_length = window_length
        self.expert_filters = tuple(expert_filters)
        self.gate_stem_filters = gate_stem_filters
        self.gate_stages = gate_stages

    # `compile()` (from `core.tasks.Task`): Adam 1e-4 (the paper's expert rate), cross-entropy
    # on probabilities, accuracy.
    def default_optimizer(self):
        return Adam(1e-4)

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def group_labels(self, labels, group):
        """Map data-set labels of one group's windows to that expert's class indices.

        Args:
            labels: int array of data-set labels (all in `group`).
            group: "static" or "dynamic".
        """
        import numpy as np

        indices = self.static_indices if group == "static" else self.dynamic_indices
        lookup = {label: i for i, label in enumerate(indices)}
        labels = np.asarray(labels)
        if not set(labels.tolist()) <= set(lookup):
            raise ValueError(f"labels {sorted(set(labels.tolist()) - set(lookup))} are not {group} classes")
        return np.array([lookup[int(label)] for label in labels], dtype="int32")

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_channels": self.num_channels,
            "class_names": self.class_names,
            "static_classes": self.static_classes,
            "window_length": self.window_length,
            "expert_filters": self.expert_filters,
            "gate_stem_filters": self.gate_stem_filters,
            "gate_stages": self.gate_stages,
        }
