"""Denoisers: networks that look at a noisy x_t and the step t and predict the noise eps.

Every model here maps ``model(x_t, t, labels=None) -> eps`` with ``eps`` shaped like ``x_t``,
``t`` a LongTensor (B,) of 0-based steps (see :mod:`artlab.diffusion.schedule`), and
``labels`` (B,) class indices or ``None``.

* :func:`timestep_embedding` turns a step into a vector the network can use, as the
  transformer does with positions (Vaswani et al. 2017):

      e(t)_i = sin(t / 10000^(i / (d/2))),   e(t)_{d/2 + i} = cos(t / 10000^(i / (d/2))),   i < d/2

* :class:`UNet` (:class:`UNetConfig`): the small U-Net of Ho et al. 2020 for images
  (B, C, H, W). A convolution widens the image; each level runs residual blocks and then
  halves H and W; the middle runs a residual block, self-attention (optional) and another
  residual block at the lowest resolution; the way up doubles H and W and joins each
  level's output from the way down (the skip connection) before its residual blocks.
  A residual block is GroupNorm, SiLU, 3x3 convolution, plus the step's embedding
  (projected to the block's width and added to every pixel), then GroupNorm, SiLU,
  dropout, 3x3 convolution, plus its input.
* :class:`MLPDenoiser` (:class:`MLPDenoiserConfig`): the same idea for 2-D points
  (B, 2): hidden layers h <- SiLU(W h + U e(t)), the step's embedding added in each.

**Class conditioning** (``num_classes > 0``): a learned embedding of the label is added to
the step's embedding. It has ``num_classes + 1`` rows: the last one, index ``num_classes``,
means "no label" and is what ``labels=None`` uses, so one network is both the
conditional and the unconditional model that classifier-free guidance mixes
(:func:`artlab.diffusion.sampling.guided_eps`).
Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from artlab.errors import ArgumentError, whole_number

__all__ = ["timestep_embedding", "UNetConfig", "UNet", "MLPDenoiserConfig", "MLPDenoiser", "count_parameters"]

MAX_PERIOD = 10_000.0  # the slowest sinusoid of the step embedding


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding (B, dim) of steps ``t`` (B,): sines in the first half, cosines in the second."""
    if dim < 2 or dim % 2:
        raise ArgumentError("timestep_embedding(dim)", expected="an even size >= 2", got=dim)
    half = dim // 2
    # omega_i = 10000^(-i / half), i = 0..half-1
    frequencies = torch.exp(-math.log(MAX_PERIOD) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * frequencies[None, :]  # (B, half)
    return torch.cat([angles.sin(), angles.cos()], dim=1)  # (B, dim)


def count_parameters(model: nn.Module) -> int:
    """The number of trainable weights."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _positive(where: str, value: object) -> None:
    whole_number(value, where)


# --- the U-Net -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class UNetConfig:
    """A U-Net eps_theta(x_t, t, y) for images (B, C, H, W)."""

    image_channels: int = 1              # C: 1 for digits, 3 for colour pictures
    patch: int = 1                       # p > 1: fold each p x p patch into channels first (p^2 less work per layer)
    base_channels: int = 32              # width of the first level
    channel_mults: tuple[int, ...] = (1, 2)  # width of each level = base * mult; each level after the first halves H, W
    blocks_per_level: int = 1            # residual blocks per level, on the way down and on the way up
    attention: bool = True               # self-attention in the middle, at the lowest resolution
    heads: int = 4                       # attention heads (they split the middle's width)
    groups: int = 8                      # GroupNorm groups; every width must be a multiple
    embed_dim: int = 128                 # size of the step (and class) embedding inside the blocks
    num_classes: int = 0                 # 0: unconditional; K > 0: labels 0..K-1, and K for "no label"
    dropout: float = 0.0                 # dropout inside each residual block

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_mults", tuple(self.channel_mults))
        for name in ("image_channels", "patch", "base_channels", "blocks_per_level", "heads", "groups", "embed_dim"):
            _positive(f"UNetConfig({name})", getattr(self, name))
        if not self.channel_mults or not all(isinstance(m, int) and m >= 1 for m in self.channel_mults):
            raise ArgumentError("UNetConfig(channel_mults)", expected="one whole multiplier >= 1 per level, "
                                "such as (1, 2)", got=self.channel_mults)
        for width in self.widths:
            if width % self.groups:
                raise ArgumentError("UNetConfig(groups)", expected=f"a divisor of every level's width {self.widths}",
                                    got=self.groups)
        if self.attention and self.widths[-1] % self.heads:
            raise ArgumentError("UNetConfig(heads)", expected=f"a divisor of the middle's width {self.widths[-1]}",
                                got=self.heads)
        if self.embed_dim % 2:
            raise ArgumentError("UNetConfig(embed_dim)", expected="an even size", got=self.embed_dim)
        whole_number(self.num_classes, "UNetConfig(num_classes)", low=0,
                     hint="0: unconditional; else the number of classes.")
        if not 0 <= self.dropout < 1:
            raise ArgumentError("UNetConfig(dropout)", expected="a probability from 0 up to (not including) 1",
                                got=self.dropout)

    @property
    def widths(self) -> tuple[int, ...]:
        """The number of channels of each level."""
        return tuple(self.base_channels * m for m in self.channel_mults)

    @property
    def downsampling(self) -> int:
        """How many times smaller the lowest resolution is than the image: patch * 2^(levels - 1)."""
        return self.patch * 2 ** (len(self.channel_mults) - 1)


class ResidualBlock(nn.Module):
    """h = conv(SiLU(norm(x))) + W e; out = conv(dropout(SiLU(norm(h)))) + skip(x), at any H, W."""

    def __init__(self, in_channels: int, out_channels: int, embed_dim: int, groups: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.embed = nn.Linear(embed_dim, out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Identity() if in_channels == out_channels else nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))                   # (B, out, H, W)
        h = h + self.embed(F.silu(emb))[:, :, None, None]       # the step (and class), added to every pixel
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))     # (B, out, H, W)
        return h + self.skip(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention over the H*W positions, with a residual connection."""

    def __init__(self, channels: int, heads: int, groups: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w)  # (B, 3, heads, c/heads, HW)
        q, k, v = qkv.transpose(-1, -2).unbind(1)                # each (B, heads, HW, c/heads)
        # softmax(q k^T / sqrt(d)) v
        attended = F.scaled_dot_product_attention(q, k, v)       # (B, heads, HW, c/heads)
        attended = attended.transpose(-1, -2).reshape(b, c, h, w)  # (B, C, H, W)
        return x + self.out(attended)


class UNet(nn.Module):
    """eps_theta(x_t (B, C, H, W), t (B,), labels (B,) or None) -> eps (B, C, H, W); see :class:`UNetConfig`."""

    def __init__(self, config: UNetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or UNetConfig()
        widths, e = config.widths, config.embed_dim
        block = lambda i, o: ResidualBlock(i, o, e, config.groups, config.dropout)  # noqa: E731
        self.time_mlp = nn.Sequential(nn.Linear(config.base_channels, e), nn.SiLU(), nn.Linear(e, e))
        self.class_embedding = nn.Embedding(config.num_classes + 1, e) if config.num_classes else None
        folded = config.image_channels * config.patch ** 2
        self.fold, self.unfold = nn.PixelUnshuffle(config.patch), nn.PixelShuffle(config.patch)
        self.stem = nn.Conv2d(folded, widths[0], 3, padding=1)
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        previous = widths[0]
        for level, width in enumerate(widths):
            self.down.append(nn.ModuleList([block(previous if b == 0 else width, width)
                                            for b in range(config.blocks_per_level)]))
            previous = width
            if level < len(widths) - 1:
                self.downsample.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
        self.middle1 = block(widths[-1], widths[-1])
        self.attention = SelfAttention(widths[-1], config.heads, config.groups) if config.attention else None
        self.middle2 = block(widths[-1], widths[-1])
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for level in reversed(range(len(widths))):
            width = widths[level]
            self.up.append(nn.ModuleList([block(previous + width if b == 0 else width, width)
                                          for b in range(config.blocks_per_level)]))
            previous = width
            if level > 0:
                self.upsample.append(nn.Conv2d(width, widths[level - 1], 3, padding=1))
                previous = widths[level - 1]
        self.head = nn.Sequential(nn.GroupNorm(config.groups, widths[0]), nn.SiLU(),
                                  nn.Conv2d(widths[0], folded, 3, padding=1))

    @property
    def num_classes(self) -> int:
        return self.config.num_classes

    def embed(self, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The step's embedding MLP(e(t)), plus the label's embedding when conditional: (B, embed_dim)."""
        emb = self.time_mlp(timestep_embedding(t, self.config.base_channels))  # (B, E)
        if self.class_embedding is not None:
            if labels is None:
                labels = torch.full_like(t, self.config.num_classes)  # (B,): "no label"
            emb = emb + self.class_embedding(labels)
        return emb

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self._check(x_t, t, labels)
        emb = self.embed(t, labels)                        # (B, E)
        h = self.stem(self.fold(x_t))                      # (B, w0, H/p, W/p): patches folded into channels
        skips = []
        for level, blocks in enumerate(self.down):
            for block in blocks:
                h = block(h, emb)                          # (B, w_level, H / 2^level, W / 2^level)
            skips.append(h)
            if level < len(self.downsample):
                h = self.downsample[level](h)              # (B, w_level, H / 2^(level+1), ...)
        h = self.middle1(h, emb)
        if self.attention is not None:
            h = self.attention(h)
        h = self.middle2(h, emb)                           # (B, w_last, H / 2^(L-1), W / 2^(L-1))
        for i, blocks in enumerate(self.up):
            h = torch.cat([h, skips.pop()], dim=1)         # (B, w + w_skip, ...): the skip connection
            for block in blocks:
                h = block(h, emb)
            if i < len(self.upsample):
                h = F.interpolate(h, scale_factor=2.0, mode="nearest")  # (B, w, 2h, 2w)
                h = self.upsample[i](h)                    # (B, w_next, 2h, 2w)
        return self.unfold(self.head(h))                   # (B, C p^2, H/p, W/p) -> (B, C, H, W)

    def _check(self, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None) -> None:
        config = self.config
        if not isinstance(x_t, torch.Tensor) or x_t.dim() != 4 or x_t.shape[1] != config.image_channels:
            got = f"<a tensor of shape {tuple(x_t.shape)}>" if isinstance(x_t, torch.Tensor) else x_t
            raise ArgumentError("UNet(x_t)", expected=f"images (B, {config.image_channels}, H, W)", got=got)
        if x_t.shape[2] % config.downsampling or x_t.shape[3] % config.downsampling:
            raise ArgumentError("UNet(x_t)", expected=f"H and W divisible by {config.downsampling} "
                                f"(patch {config.patch}, then halved {len(config.channel_mults) - 1} times)",
                                got=f"<{x_t.shape[2]}x{x_t.shape[3]} images>", hint="Resize to 16x16 or 32x32.")
        _check_t_and_labels("UNet", x_t.shape[0], t, labels, config.num_classes)


# --- the MLP for points --------------------------------------------------------------------------

@dataclass(frozen=True)
class MLPDenoiserConfig:
    """An MLP eps_theta(x_t, t, y) for points (B, dim)."""

    dim: int = 2                          # coordinates of one point
    hidden: tuple[int, ...] = (64, 64, 64)  # widths of the hidden layers
    time_dim: int = 16                    # size of the sinusoidal step embedding
    num_classes: int = 0                  # 0: unconditional; K > 0: labels 0..K-1, and K for "no label"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        _positive("MLPDenoiserConfig(dim)", self.dim)
        if not self.hidden or not all(isinstance(h, int) and h >= 1 for h in self.hidden):
            raise ArgumentError("MLPDenoiserConfig(hidden)", expected="one or more whole widths >= 1",
                                got=self.hidden)
        if whole_number(self.time_dim, "MLPDenoiserConfig(time_dim)", low=2) % 2:
            raise ArgumentError("MLPDenoiserConfig(time_dim)", expected="an even size >= 2", got=self.time_dim)
        whole_number(self.num_classes, "MLPDenoiserConfig(num_classes)", low=0,
                     hint="0: unconditional; else the number of classes.")


class MLPDenoiser(nn.Module):
    """eps_theta(x_t (B, dim), t (B,), labels (B,) or None) -> eps (B, dim); see :class:`MLPDenoiserConfig`."""

    def __init__(self, config: MLPDenoiserConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MLPDenoiserConfig()
        widths = (config.dim, *config.hidden)
        self.layers = nn.ModuleList([nn.Linear(i, o) for i, o in zip(widths[:-1], widths[1:])])
        self.time = nn.ModuleList([nn.Linear(config.time_dim, o, bias=False) for o in config.hidden])
        self.class_embedding = nn.Embedding(config.num_classes + 1, config.time_dim) if config.num_classes else None
        self.out = nn.Linear(widths[-1], config.dim)

    @property
    def num_classes(self) -> int:
        return self.config.num_classes

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        config = self.config
        if not isinstance(x_t, torch.Tensor) or x_t.dim() != 2 or x_t.shape[1] != config.dim:
            got = f"<a tensor of shape {tuple(x_t.shape)}>" if isinstance(x_t, torch.Tensor) else x_t
            raise ArgumentError("MLPDenoiser(x_t)", expected=f"points (B, {config.dim})", got=got)
        _check_t_and_labels("MLPDenoiser", x_t.shape[0], t, labels, config.num_classes)
        emb = timestep_embedding(t, config.time_dim)        # (B, time_dim)
        if self.class_embedding is not None:
            if labels is None:
                labels = torch.full_like(t, config.num_classes)  # (B,): "no label"
            emb = emb + self.class_embedding(labels)
        h = x_t
        for layer, time in zip(self.layers, self.time):
            # h <- SiLU(W h + U e(t))
            h = F.silu(layer(h) + time(emb))                # (B, hidden)
        return self.out(h)                                  # (B, dim)


def _check_t_and_labels(where: str, batch: int, t: torch.Tensor, labels: torch.Tensor | None,
                        num_classes: int) -> None:
    if not isinstance(t, torch.Tensor) or t.shape != (batch,) or t.is_floating_point():
        got = f"<a {t.dtype} tensor of shape {tuple(t.shape)}>" if isinstance(t, torch.Tensor) else t
        raise ArgumentError(f"{where}(t)", expected=f"a LongTensor of shape ({batch},): one step per sample", got=got)
    if labels is None:
        return
    if num_classes == 0:
        raise ArgumentError(f"{where}(labels)", expected="None: this model was built with num_classes=0",
                            got="<a tensor of labels>", hint="Build it with num_classes=K to condition on labels.")
    if not isinstance(labels, torch.Tensor) or labels.shape != (batch,) or labels.is_floating_point():
        got = f"<a {labels.dtype} tensor of shape {tuple(labels.shape)}>" if isinstance(labels, torch.Tensor) \
            else labels
        raise ArgumentError(f"{where}(labels)", expected=f"a LongTensor of shape ({batch},)", got=got)
    if batch and (int(labels.min()) < 0 or int(labels.max()) > num_classes):
        raise ArgumentError(f"{where}(labels)", expected=f"classes 0..{num_classes - 1}, or {num_classes} "
                            "for 'no label'", got=int(labels.max()) if int(labels.min()) >= 0 else int(labels.min()))
