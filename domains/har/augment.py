"""Augmentation of inertial windows for subjects the model never saw: rotation, scaling, jitter, time warp.

A smartwatch sits a little differently on every wrist, and every person moves at their own
strength and pace. The usual HAR augmentations (Um et al., "Data augmentation of wearable sensor
data for Parkinson's disease monitoring using convolutional neural networks", ICMI 2017) mimic
that on the training windows, with new random draws every epoch (training only; the labels are
never changed):

- `rotation_degrees`: one random rotation per window, about an axis drawn uniformly on the sphere
  by an angle drawn uniformly in `[-rotation_degrees, rotation_degrees]`, applied alike to every
  3-axis sensor of the window (accelerometer and gyroscope turn together, as a watch turned on
  the wrist turns both);
- `scale`: each channel multiplied by a factor drawn from `N(1, scale)`;
- `jitter`: Gaussian noise of standard deviation `jitter` times the channel's standard deviation
  over the training windows (`channel_std`);
- `time_warp`: the window replayed at a random speed in `[1 / (1 + time_warp), 1 + time_warp]`
  (log-uniform) about its centre, by linear interpolation; the ends repeat the edge steps when the
  window is slowed down.

The 3-axis sensors are the runs of three channels named `<sensor>_x`, `<sensor>_y`, `<sensor>_z`
(`sensor_triplets`): the watch set's and BasicMotions' `accel_*` and `gyro_*`, UCI HAR's three.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

__all__ = ["Augmentation", "rotation_matrix", "sensor_triplets"]


def sensor_triplets(channel_names):
    """The 3-axis sensors among `channel_names`: index triples of consecutive `<name>_x, _y, _z` channels.

    Args:
        channel_names: list of str.

    Returns:
        tuple of `(i, i + 1, i + 2)` tuples, in channel order.

    Example:
    ```python
    sensor_triplets(["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"])   # ((0, 1, 2), (3, 4, 5))
    ```
    """
    names = [str(name).lower() for name in channel_names]
    triplets, i = [], 0
    while i + 2 < len(names):
        stems = [names[i + k][:-1] for k in range(3)]
        if [names[i + k][-1:] for k in range(3)] == ["x", "y", "z"] and stems[0] == stems[1] == stems[2]:
            triplets.append((i, i + 1, i + 2))
            i += 3
        else:
            i += 1
    return tuple(triplets)


def rotation_matrix(axis, angle):
    """The 3 x 3 rotation by `angle` radians about `axis` (Rodrigues' formula), as a float32 tensor.

    Args:
        axis: float tensor `(3,)`, not zero (normalised here).
        angle: float scalar tensor, radians.

    Returns:
        float32 tensor `(3, 3)`, orthonormal with determinant 1.

    Example:
    ```python
    rotation_matrix(tf.constant([0.0, 0.0, 1.0]), tf.constant(math.pi / 2)).numpy().round(3)
    # [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    ```
    """
    axis = tf.cast(axis, tf.float32)
    axis = axis / tf.norm(axis)
    angle = tf.cast(angle, tf.float32)
    x, y, z = axis[0], axis[1], axis[2]
    zero = tf.zeros_like(x)
    cross = tf.stack([tf.stack([zero, -z, y]), tf.stack([z, zero, -x]), tf.stack([-y, x, zero])])
    return tf.eye(3) + tf.sin(angle) * cross + (1.0 - tf.cos(angle)) * tf.matmul(cross, cross)


@dataclasses.dataclass
class Augmentation:
    """Random augmentation of one window `(time, channels)` and its label, for `tf.data` (module docstring).

    Args:
        rotation_degrees: float >= 0. Largest rotation angle; 0: none. Defaults to 0.
        scale: float >= 0. Standard deviation of the channels' factors; 0: none. Defaults to 0.
        jitter: float >= 0. Noise, in units of `channel_std`; 0: none. Defaults to 0.
        time_warp: float >= 0. Largest relative change of speed; 0: none. Defaults to 0.
        triplets: tuple of index triples. The 3-axis sensors that rotate together (`sensor_triplets`).
        channel_std: sequence of float or `None`. Each channel's standard deviation over the
            training windows (for `jitter`; `None`: 1).

    Raises:
        ValueError: a negative strength, or a rotation without 3-axis sensors.

    Example:
    ```python
    augment = Augmentation(rotation_degrees=30, scale=0.1, triplets=((0, 1, 2), (3, 4, 5)))
    train = from_arrays(x, y, batch_size=32, training=True, seed=0, augment_fn=augment)
    ```
    """

    rotation_degrees: float = 0.0
    scale: float = 0.0
    jitter: float = 0.0
    time_warp: float = 0.0
    triplets: tuple = ()
    channel_std: object = None

    def __post_init__(self):
        strengths = {"rotation_degrees": self.rotation_degrees, "scale": self.scale, "jitter": self.jitter,
                     "time_warp": self.time_warp}
        negative = {key: value for key, value in strengths.items() if value is None or value < 0}
        if negative:
            raise ValueError(f"Augmentation strengths must be >= 0. Received: {negative}")
        self.triplets = tuple(tuple(int(i) for i in t) for t in self.triplets)
        if self.rotation_degrees > 0 and not self.triplets:
            raise ValueError("A rotation needs 3-axis sensors (channels named <sensor>_x, _y, _z). "
                             f"Received: rotation_degrees={self.rotation_degrees} with triplets=()")
        if any(len(t) != 3 for t in self.triplets):
            raise ValueError(f"Each sensor is three channel indices. Received: triplets={self.triplets}")

    @property
    def enabled(self):
        """True when any augmentation is on."""
        return any(v > 0 for v in (self.rotation_degrees, self.scale, self.jitter, self.time_warp))

    def describe(self):
        """One line for the run's results, e.g. "rotation ±30°, scale 0.1" (or "none")."""
        parts = [f"rotation ±{self.rotation_degrees:g}° of {len(self.triplets)} 3-axis sensors together"
                 if self.rotation_degrees else "",
                 f"scale N(1, {self.scale:g}) per channel" if self.scale else "",
                 f"jitter {self.jitter:g} channel std" if self.jitter else "",
                 f"time warp ±{self.time_warp:g}" if self.time_warp else ""]
        return ", ".join(p for p in parts if p) or "none"

    def rotate(self, x, matrix):
        """`x` `(time, channels)` with every 3-axis sensor turned by `matrix` `(3, 3)`; other channels kept."""
        columns = [x[:, c:c + 1] for c in range(x.shape[-1])]
        for triplet in self.triplets:
            turned = tf.matmul(tf.gather(x, list(triplet), axis=1), matrix, transpose_b=True)
            for k, c in enumerate(triplet):
                columns[c] = turned[:, k:k + 1]
        return tf.concat(columns, axis=1)

    def __call__(self, x, y):
        x = tf.cast(x, tf.float32)
        steps, channels = x.shape[0], x.shape[1]
        if self.time_warp > 0 and steps and steps > 1:
            bound = math.log1p(self.time_warp)
            speed = tf.exp(tf.random.uniform((), -bound, bound))
            centre = (steps - 1) / 2.0
            position = tf.clip_by_value(centre + (tf.range(steps, dtype=tf.float32) - centre) * speed, 0.0, steps - 1.0)
            low = tf.cast(tf.floor(position), tf.int32)
            high = tf.minimum(low + 1, steps - 1)
            weight = (position - tf.cast(low, tf.float32))[:, None]
            x = tf.gather(x, low) * (1.0 - weight) + tf.gather(x, high) * weight
        if self.rotation_degrees > 0:
            angle = tf.random.uniform((), -1.0, 1.0) * math.radians(self.rotation_degrees)
            x = self.rotate(x, rotation_matrix(tf.random.normal((3,)) + 1e-6, angle))
        if self.scale > 0:
            x = x * tf.random.normal((1, channels), 1.0, self.scale)
        if self.jitter > 0:
            std = tf.constant(np.ones(channels) if self.channel_std is None else np.asarray(self.channel_std),
                              tf.float32)
            x = x + tf.random.normal(tf.shape(x)) * self.jitter * std
        return x, y
