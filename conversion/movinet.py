"""Compact Keras MoViNet-A0/A2 *stream*: causal (2+1)D convolutions with external states.

One set of layers runs a whole clip ``[B, T, H, W, 3]`` (training, reference) or a few frames at a
time with the states carried by the caller (streaming, export). A clip is the stream started from
zero states, so both paths compute the same function.

Each block: 1x1 expansion -> spatial depthwise (1, kh, kw) -> causal temporal depthwise (kt, 1, 1)
over a buffer of the last kt-1 frames (the block's ``stream_buffer`` state) -> optional
squeeze-excitation -> 1x1 projection, plus a skip connection. After the blocks a 1x1 projection
to 480 (A0) / 640 (A2) channels is averaged over space per frame: the per-frame ``features``.
The classifier averages features over time (running mean) and applies 480/640 -> 2048 -> classes.

Options: ``activation`` relu6 (the quantization-friendly variant, default) or hard_swish, and
``se`` none (default) or 2plus3d (the official released float stream checkpoints).
Frames are RGB float in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import keras
import numpy as np
import tensorflow as tf

__all__ = ["BlockSpec", "ArchSpec", "ARCHS", "ACTIVATIONS", "MovinetStream", "make_divisible", "STATE_PREFIX",
           "official_key_map", "load_official_checkpoint"]

STATE_PREFIX = "state_"


@dataclass(frozen=True)
class BlockSpec:
    """One layer of a block group: expanded channels, kernel (kt, kh, kw), spatial stride."""

    expand: int
    kernel: tuple[int, int, int]
    stride: int = 1


@dataclass(frozen=True)
class ArchSpec:
    stem: int
    groups: tuple[tuple[int, tuple[BlockSpec, ...]], ...]  # (base filters, layers)
    project: int
    head: int


def _g(base: int, *layers: tuple[int, tuple[int, int, int]]) -> tuple[int, tuple[BlockSpec, ...]]:
    """A block group whose first layer halves the resolution."""
    return base, tuple(BlockSpec(e, k, 2 if i == 0 else 1) for i, (e, k) in enumerate(layers))


def _g1(base: int, *layers: tuple[int, tuple[int, int, int]]) -> tuple[int, tuple[BlockSpec, ...]]:
    """A block group that keeps the resolution."""
    return base, tuple(BlockSpec(e, k, 1) for e, k in layers)


K133, K155, K333, K533 = (1, 3, 3), (1, 5, 5), (3, 3, 3), (5, 3, 3)

ARCHS: dict[str, ArchSpec] = {
    "a0": ArchSpec(
        stem=8,
        groups=(
            _g(8, (24, K155)),
            _g(32, (80, K333), (80, K333), (80, K333)),
            _g(56, (184, K533), (112, K333), (184, K333)),
            _g1(56, (184, K533), (184, K333), (184, K333), (184, K333)),
            _g(104, (384, K533), (280, K155), (280, K155), (344, K155)),
        ),
        project=480,
        head=2048,
    ),
    "a2": ArchSpec(
        stem=16,
        groups=(
            _g(16, (40, K155), (40, K333), (64, K333)),
            _g(40, (96, K333), (120, K333), (96, K333), (96, K333), (120, K333)),
            _g(72, (240, K533), (160, K333), (240, K333), (192, K333), (240, K333)),
            _g1(72, (240, K533), (240, K333), (240, K333), (240, K333), (144, K155), (240, K333)),
            _g(144, (480, K533), (384, K155), (384, K155), (480, K155), (480, K155), (480, K333), (576, K133)),
        ),
        project=640,
        head=2048,
    ),
}


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` without dropping below 90% (MobileNet rule)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


ACTIVATIONS = ("relu6", "hard_swish", "swish")


def _act(name: str):
    if name == "relu6":
        return tf.nn.relu6
    if name == "hard_swish":
        return lambda x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0)
    if name == "swish":
        return tf.nn.silu
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def _hard_sigmoid(x):
    return tf.nn.relu6(x + 3.0) * 0.16667  # the constant of the official checkpoints' gate


def _bn(name: str) -> keras.layers.BatchNormalization:
    return keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=name)


class ConvBN(keras.layers.Layer):
    """Conv2D 1x1 or depthwise (kh, kw) on frames ``[N, H, W, C]``, batch norm, activation."""

    def __init__(self, filters: int | None, kernel: tuple[int, int] = (1, 1), stride: int = 1,
                 act: str | None = None, depthwise: bool = False, name: str | None = None):
        super().__init__(name=name)
        init = keras.initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")
        if depthwise:
            self.conv = keras.layers.DepthwiseConv2D(kernel, stride, "same", use_bias=False,
                                                     depthwise_initializer=init, name="conv")
        else:
            self.conv = keras.layers.Conv2D(filters, kernel, stride, "same", use_bias=False,
                                            kernel_initializer=init, name="conv")
        self.bn = _bn("bn")
        self.act = _act(act) if act else None

    def call(self, x, training=False):
        x = self.bn(self.conv(x), training=training)
        return self.act(x) if self.act else x


class CausalTemporalConv(keras.layers.Layer):
    """Depthwise (kt, 1, 1) conv over time, causal: frame t sees frames t-kt+1 .. t.

    Works on ``[B, T, H*W, C]``; the state is the last kt-1 input frames ``[B, kt-1, H*W, C]``.
    """

    def __init__(self, kt: int, act: str, name: str | None = None):
        super().__init__(name=name)
        init = keras.initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")
        self.kt = kt
        self.conv = keras.layers.DepthwiseConv2D((kt, 1), 1, "valid", use_bias=False,
                                                 depthwise_initializer=init, name="conv")
        self.bn = _bn("bn")
        self.act = _act(act)

    def call(self, x, buffer, training=False):
        full = tf.concat([buffer, x], axis=1)
        y = self.act(self.bn(self.conv(full), training=training))
        return y, full[:, -(self.kt - 1):]


class SqueezeExcite2plus3d(keras.layers.Layer):
    """Causal squeeze-excitation: [running mean over all frames so far, per-frame spatial mean]
    -> 1x1 reduce -> activation -> 1x1 expand -> hard sigmoid gate. State: running sum and count."""

    def __init__(self, channels: int, act: str, ratio: float = 0.25, name: str | None = None):
        super().__init__(name=name)
        reduced = make_divisible(ratio * channels * 2, 8)
        self.reduce = keras.layers.Dense(reduced, name="se_reduce")
        self.expand = keras.layers.Dense(channels, name="se_expand")
        self.act = _act(act)

    def call(self, x, pool_sum, count):
        # x [B, T, HW, C]; pool_sum [B, C]; count [B] float (frames already seen).
        space = tf.reduce_mean(x, axis=2)  # [B, T, C]
        t = tf.cast(tf.range(1, tf.shape(x)[1] + 1), x.dtype)
        cum = pool_sum[:, None] + tf.cumsum(space, axis=1)
        mean = cum / (count[:, None, None] + t[None, :, None])
        g = _hard_sigmoid(self.expand(self.act(self.reduce(tf.concat([mean, space], -1)))))
        return x * g[:, :, None, :], cum[:, -1], count + tf.cast(tf.shape(x)[1], x.dtype)


class MovinetBlock(keras.layers.Layer):
    """Inverted bottleneck; the residual branch is scaled by a learned scalar (``rezero``)."""

    def __init__(self, in_filters: int, out_filters: int, spec: BlockSpec, act: str, se: str, name: str,
                 rezero_init: float = 0.0):
        super().__init__(name=name)
        self.rezero = self.add_weight(shape=(), initializer=keras.initializers.Constant(rezero_init), name="rezero")
        kt, kh, kw = spec.kernel
        self.spec = spec
        self.expansion = ConvBN(spec.expand, act=act, name="expansion")
        self.spatial = ConvBN(None, (kh, kw), spec.stride, act, depthwise=True, name="spatial")
        self.temporal = CausalTemporalConv(kt, act, name="temporal") if kt > 1 else None
        self.se = SqueezeExcite2plus3d(spec.expand, act, name="se") if se == "2plus3d" else None
        self.projection = ConvBN(out_filters, name="projection")
        self.skip = None
        if spec.stride != 1 or in_filters != out_filters:
            self.skip_pool = keras.layers.AveragePooling2D(3, spec.stride, "same") if spec.stride != 1 else None
            self.skip = ConvBN(out_filters, name="skip")

    def call(self, x, states: dict, prefix: str, b: int, training=False):
        # x [B*T, H, W, C]
        y = self.expansion(x, training=training)
        y = self.spatial(y, training=training)
        h, w, c = y.shape[1], y.shape[2], y.shape[3]
        new: dict = {}
        if self.temporal is not None or self.se is not None:
            y = tf.reshape(y, [b, -1, h * w, c])
            if self.temporal is not None:
                key = f"{prefix}_stream_buffer"
                y, new[key] = self.temporal(y, states[key], training=training)
            if self.se is not None:
                ks, kc = f"{prefix}_pool_buffer", f"{prefix}_pool_frame_count"
                y, new[ks], new[kc] = self.se(y, states[ks], states[kc])
            y = tf.reshape(y, [-1, h, w, c])
        y = self.projection(y, training=training) * self.rezero
        s = x
        if self.skip is not None:
            s = self.skip(self.skip_pool(s) if self.skip_pool is not None else s, training=training)
        return y + s, new


class MovinetStream(keras.Model):
    """MoViNet stream backbone + classifier.

    Args:
        arch: ``a0`` or ``a2``.
        num_classes: classifier outputs.
        activation: ``relu6`` or ``hard_swish``.
        se: ``none`` or ``2plus3d``.
        head_activation: of the 2048-wide classifier layer (default: ``activation``).
        dropout: before the last classifier layer (training only).
        rezero_init: initial scale of every residual branch (0 = each block starts as its skip path,
            which trains well from scratch; 1 for a random network that uses every layer).
    """

    def __init__(self, arch: str = "a0", num_classes: int = 600, activation: str = "relu6", se: str = "none",
                 head_activation: str | None = None, dropout: float = 0.2, rezero_init: float = 0.0,
                 name: str | None = None):
        super().__init__(name=name or f"movinet_{arch}_stream")
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
        if se not in ("none", "2plus3d"):
            raise ValueError(f"se must be none or 2plus3d, got {se!r}")
        self.arch, self.spec = arch, ARCHS[arch]
        self.num_classes, self.activation, self.se_type = num_classes, activation, se
        self.stem = ConvBN(self.spec.stem, (3, 3), 2, activation, name="stem")
        self.blocks_: list[tuple[str, MovinetBlock]] = []
        cin = self.spec.stem
        for gi, (base, layers) in enumerate(self.spec.groups):
            for li, ls in enumerate(layers):
                name_ = f"block{gi}_layer{li}"  # the official state names
                self.blocks_.append((name_, MovinetBlock(cin, base, ls, activation, se, name_, rezero_init)))
                cin = base
        self.project = ConvBN(self.spec.project, act=activation, name="head_project")
        self.hidden = keras.layers.Dense(self.spec.head, name="classifier_hidden")
        self.dropout = keras.layers.Dropout(dropout)
        self.logits_layer = keras.layers.Dense(num_classes, name="classifier_logits")
        self.head_activation = head_activation or activation
        self._act = _act(self.head_activation)

    # -- states ----------------------------------------------------------------------------
    def state_shapes(self, size: int | tuple[int, int], batch: int = 1) -> dict[str, tuple[tuple[int, ...], str]]:
        """Backbone state name -> (shape, dtype), in a fixed order, for frames of ``size`` pixels."""
        h, w = (size, size) if isinstance(size, int) else size
        h, w = -(-h // 2), -(-w // 2)  # stem stride 2, 'same'
        out: dict[str, tuple[tuple[int, ...], str]] = {}
        for name, blk in self.blocks_:
            if blk.spec.stride == 2:
                h, w = -(-h // 2), -(-w // 2)
            kt = blk.spec.kernel[0]
            if kt > 1:
                out[f"{name}_stream_buffer"] = ((batch, kt - 1, h * w, blk.spec.expand), "float32")
            if self.se_type == "2plus3d":
                out[f"{name}_pool_buffer"] = ((batch, blk.spec.expand), "float32")
                out[f"{name}_pool_frame_count"] = ((batch,), "float32")
        return out

    def zero_states(self, size: int | tuple[int, int], batch: int = 1) -> dict[str, tf.Tensor]:
        return {k: tf.zeros(s, d) for k, (s, d) in self.state_shapes(size, batch).items()}

    # -- forward ---------------------------------------------------------------------------
    def features(self, video, states: Mapping[str, tf.Tensor] | None = None, training=False):
        """Per-frame features ``[B, T, project]`` of frames ``video [B, T, H, W, 3]`` (RGB in [0, 1])
        and the states after the last frame. ``states`` None = start of a stream (zeros)."""
        shape = tf.shape(video)
        b, h, w = video.shape[0] or shape[0], video.shape[2], video.shape[3]
        if states is None:
            states = self.zero_states((h, w), b)
        x = tf.reshape(video, [-1, h, w, 3])
        x = self.stem(x, training=training)
        new: dict = {}
        for name, blk in self.blocks_:
            x, st = blk(x, states=states, prefix=name, b=b, training=training)
            new.update(st)
        x = self.project(x, training=training)
        f = tf.reduce_mean(x, axis=[1, 2])
        return tf.reshape(f, [b, -1, f.shape[-1]]), new

    def classify(self, mean_features, training=False):
        """Logits of time-averaged features ``[..., project]``."""
        x = self._act(self.hidden(mean_features))
        return self.logits_layer(self.dropout(x, training=training))

    def call(self, video, training=False):
        """Clip logits ``[B, classes]``: features averaged over all frames, then classified."""
        f, _ = self.features(video, training=training)
        return self.classify(tf.reduce_mean(f, axis=1), training=training)

    def stream_logits(self, video, states: Mapping[str, tf.Tensor] | None = None):
        """Per-frame logits ``[B, T, classes]`` from the running mean of features (what a stream
        sees after each frame), and the new states incl. ``head_pool_buffer`` / ``head_pool_frame_count``."""
        states = dict(states or {})
        pool = states.pop("head_pool_buffer", None)
        count = states.pop("head_pool_frame_count", None)
        f, new = self.features(video, states or None)
        b = tf.shape(f)[0]
        pool = tf.zeros([b, f.shape[-1]]) if pool is None else pool
        count = tf.zeros([b]) if count is None else count
        cum = pool[:, None] + tf.cumsum(f, axis=1)
        t = tf.cast(tf.range(1, tf.shape(f)[1] + 1), f.dtype)
        mean = cum / (count[:, None, None] + t[None, :, None])
        new["head_pool_buffer"] = cum[:, -1]
        new["head_pool_frame_count"] = count + tf.cast(tf.shape(f)[1], f.dtype)
        return self.classify(mean), new

    def build_for(self, size: int | tuple[int, int]) -> "MovinetStream":
        """Create the weights (one call on a zero clip)."""
        h, w = (size, size) if isinstance(size, int) else size
        self(np.zeros((1, 1, h, w, 3), np.float32))
        return self

    def describe(self) -> dict:
        return {"arch": self.arch, "num_classes": self.num_classes, "activation": self.activation, "se": self.se_type,
                "head_activation": self.head_activation, "project": self.spec.project, "head": self.spec.head}


# -- official TF2 checkpoints ---------------------------------------------------------------
_V = "/.ATTRIBUTES/VARIABLE_VALUE"
_BN = ("gamma", "beta", "moving_mean", "moving_variance")


def official_key_map(model: MovinetStream) -> dict[str, object]:
    """Official TF2 checkpoint key (``model/layer_with_weights-0/...``) -> our variable.

    The official ``MovinetClassifier`` checkpoint holds the backbone as ``layer_with_weights-0``
    (stem = 0, blocks 1..N in order, head projection N+1) and the classifier head as
    ``layer_with_weights-1``. 1x1 Conv3D/Conv2D kernels map onto our Dense/Conv2D kernels by reshape.
    """
    m: dict[str, object] = {}

    def conv_bn(prefix: str, layer: ConvBN, conv: str = "_conv/_conv", bn: str = "_batch_norm") -> None:
        kind = "depthwise_kernel" if isinstance(layer.conv, keras.layers.DepthwiseConv2D) else "kernel"
        m[f"{prefix}/{conv}/{kind}"] = layer.conv.kernel
        for b in _BN:
            m[f"{prefix}/{bn}/{b}"] = getattr(layer.bn, b)

    bb = "model/layer_with_weights-0/layer_with_weights-"
    conv_bn(f"{bb}0/_stem", model.stem)
    for k, (_, blk) in enumerate(model.blocks_, start=1):
        p = f"{bb}{k}"
        conv_bn(f"{p}/_expansion", blk.expansion)
        conv_bn(f"{p}/_feature", blk.spatial)
        if blk.temporal is not None:
            conv_bn(f"{p}/_feature", blk.temporal, conv="_conv_temporal/_conv", bn="_batch_norm_temporal")
        conv_bn(f"{p}/_projection", blk.projection)
        if blk.skip is not None:
            conv_bn(f"{p}/_skip/_projection", blk.skip)
        m[f"{p}/_mobile_bottleneck/_rezero/scale"] = blk.rezero
        if blk.se is not None:
            for name, dense in (("_se_reduce", blk.se.reduce), ("_se_expand", blk.se.expand)):
                m[f"{p}/_attention/{name}/_conv/_conv/kernel"] = dense.kernel
                m[f"{p}/_attention/{name}/_conv/_conv/bias"] = dense.bias
    conv_bn(f"{bb}{len(model.blocks_) + 1}/_project", model.project)
    for name, dense in (("_head", model.hidden), ("_classifier", model.logits_layer)):
        m[f"model/layer_with_weights-1/{name}/_conv/_conv/kernel"] = dense.kernel
        m[f"model/layer_with_weights-1/{name}/_conv/_conv/bias"] = dense.bias
    return m


def load_official_checkpoint(model: MovinetStream, path: str, include_classifier: bool = True) -> dict[str, int]:
    """Assign every weight of ``model`` from an official MoViNet TF2 checkpoint (``ckpt-1`` prefix or
    its directory). Build ``model`` with the checkpoint's arch/activation/se/num_classes first
    (``include_classifier=False``: keep our last layer, e.g. to fine-tune on other classes).
    Raises ValueError naming the first missing key or shape mismatch. Returns counts."""
    reader = tf.train.load_checkpoint(path)
    have = {k for k in reader.get_variable_to_shape_map() if k.endswith(_V)}
    mapping = official_key_map(model)
    if not include_classifier:
        mapping = {k: v for k, v in mapping.items() if "/_classifier/" not in k}
        have = {k for k in have if "/_classifier/" not in k}
    for key, var in mapping.items():
        full = key + _V
        if full not in have:
            raise ValueError(f"checkpoint {path} lacks {full} (built as {model.describe()}; wrong arch, se or activation?)")
        value = reader.get_tensor(full)
        if value.size != int(np.prod(var.shape)):
            raise ValueError(f"{full}: checkpoint shape {value.shape}, model expects {tuple(var.shape)}")
        var.assign(value.reshape(var.shape))
    unused = sorted(k for k in have if k[: -len(_V)] not in mapping and k.startswith("model/")
                    and "optimizer" not in k.lower())
    if unused:
        raise ValueError(f"checkpoint {path} has {len(unused)} weights this model does not use, e.g. {unused[0]}")
    return {"assigned": len(mapping), "checkpoint_weights": len(have)}
