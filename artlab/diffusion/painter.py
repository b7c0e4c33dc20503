"""A diffusion model as a painter: noise z in, a picture out (the :mod:`artlab.painters.protocol` contract).

:class:`DiffusionPainter` holds a denoiser (:class:`~artlab.diffusion.unet.UNet`) and its noise
schedule. Painting reshapes z ``(B, C*H*W)`` into the starting noise x_T ``(B, C, H, W)`` and runs
a sampler from it:

* ``sampler="ddim"``: DDIM with ``sample_steps`` network calls (``eta`` 0: deterministic, so
  the same z paints the same picture);
* ``sampler="ddpm"``: ancestral sampling over all T steps (``sample_steps`` is ignored). Its extra
  noise at every step comes from a generator seeded by the bytes of each z, so the same z paints
  the same picture here too, whatever else is in the batch; DDIM with ``eta > 0`` draws its noise
  the same way.

A conditional painter (``num_classes`` > 0) paints the digit asked for; ``guidance`` w mixes its
two predictions as classifier-free guidance does (:func:`~artlab.diffusion.sampling.guided_eps`).
The sampler settings are attributes, changeable after loading: ``painter.with_sampler("ddim",
sample_steps=10)`` returns a painter that shares the weights and samples differently.

:class:`DiffusionPainterConfig` is what checkpoints store; it is registered as ``"diffusion"`` in
:data:`artlab.registry.PAINTERS`, so :func:`artlab.painters.load_painter` and ``artlab paint``
rebuild it. Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import dataclass

import torch
from torch import nn

from artlab.diffusion.sampling import ddim_step, ddim_timesteps, ddpm_step, guided_eps
from artlab.diffusion.schedule import NoiseSchedule, cosine_schedule, linear_schedule
from artlab.diffusion.unet import UNet, UNetConfig
from artlab.errors import ArgumentError, one_of, real_number, whole_number
from artlab.painters.protocol import check_labels

__all__ = ["SAMPLERS", "DiffusionPainterConfig", "DiffusionPainter", "noise_schedule"]

SAMPLERS = ("ddpm", "ddim")
"""The samplers a :class:`DiffusionPainter` paints with."""


def noise_schedule(name: str, T: int) -> NoiseSchedule:  # noqa: N803
    """The cosine schedule (Nichol and Dhariwal 2021) or the linear one (Ho et al. 2020: 1e-4 to 0.02,
    both scaled by 1000 / T so that any T ends near pure noise)."""
    one_of(name, "noise schedule", ("cosine", "linear"))
    whole_number(T, "noise schedule (T)", unit="steps")
    if name == "cosine":
        return cosine_schedule(T)
    return linear_schedule(T, min(1e-4 * 1000 / T, 0.5), min(0.02 * 1000 / T, 0.5))


@dataclass(frozen=True)
class DiffusionPainterConfig:
    """A diffusion painter: its denoiser, its noise schedule and how it samples by default."""

    denoiser: UNetConfig = UNetConfig()       # eps_theta(x_t, t, y); its num_classes is the painter's
    image_size: int = 16                      # H = W of the pictures
    noise_schedule: str = "cosine"            # "cosine" or "linear"
    T: int = 1000                             # steps of the forward process  # noqa: N815
    clip: bool = True                         # clip the sampler's estimate of x_0 to [-1, 1]
    sampler: str = "ddim"                     # the default sampler: "ddim" or "ddpm"
    sample_steps: int = 50                    # DDIM's network calls (DDPM always takes T)
    guidance: float = 0.0                     # w of classifier-free guidance (conditional painters only)
    eta: float = 0.0                          # DDIM's noise: 0 deterministic, 1 like DDPM

    def __post_init__(self) -> None:
        if isinstance(self.denoiser, dict):  # read back from a checkpoint
            object.__setattr__(self, "denoiser", UNetConfig(**self.denoiser))
        if not isinstance(self.denoiser, UNetConfig):
            raise ArgumentError("DiffusionPainterConfig(denoiser)", expected="a UNetConfig",
                                got=f"<a {type(self.denoiser).__name__}>")
        whole_number(self.image_size, "DiffusionPainterConfig(image_size)", low=1)
        if self.image_size % self.denoiser.downsampling:
            raise ArgumentError("DiffusionPainterConfig(image_size)",
                                expected=f"a multiple of the U-Net's downsampling {self.denoiser.downsampling}",
                                got=self.image_size)
        one_of(self.noise_schedule, "DiffusionPainterConfig(noise_schedule)", ("cosine", "linear"))
        whole_number(self.T, "DiffusionPainterConfig(T)", unit="steps")
        check_sampler(self.sampler, self.sample_steps, self.guidance, self.eta, self.T, self.denoiser.num_classes,
                      "DiffusionPainterConfig")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.denoiser.image_channels, self.image_size, self.image_size)


def check_sampler(sampler: str, sample_steps: int, guidance: float, eta: float, T: int, num_classes: int,  # noqa: N803
                  where: str) -> None:
    """An :class:`ArgumentError` for sampler settings a painter cannot use."""
    one_of(sampler, f"{where}(sampler)", SAMPLERS)
    whole_number(sample_steps, f"{where}(sample_steps)", low=1, high=T, unit="steps",
                 hint=f"DDIM visits from 1 to T = {T} of the steps the model was trained on.")
    real_number(guidance, f"{where}(guidance)", hint="0: no guidance; 1 to 3 paints more clearly as asked.")
    if guidance != 0 and not num_classes:
        raise ArgumentError(f"{where}(guidance)", expected="0: guidance needs a conditional painter", got=guidance,
                            hint="Train it with labels (--conditional) to guide it.")
    real_number(eta, f"{where}(eta)", low=0.0, hint="0: deterministic DDIM; 1: as noisy as DDPM.")


class DiffusionPainter(nn.Module):
    """A denoiser and its schedule that paint ``(B, C, H, W)`` in [-1, 1] from z ``(B, C*H*W)``."""

    def __init__(self, config: DiffusionPainterConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or DiffusionPainterConfig()
        self.denoiser = UNet(config.denoiser)
        self.schedule = noise_schedule(config.noise_schedule, config.T)
        self.latent_dim = config.image_size ** 2 * config.denoiser.image_channels
        self.num_classes = config.denoiser.num_classes
        self.sampler, self.sample_steps = config.sampler, config.sample_steps
        self.guidance, self.eta = config.guidance, config.eta

    def with_sampler(self, sampler: str | None = None, *, sample_steps: int | None = None,
                     guidance: float | None = None, eta: float | None = None) -> "DiffusionPainter":
        """A painter with the same weights (shared, not copied) and these sampler settings (``None``: keep)."""
        settings = {"sampler": self.sampler if sampler is None else sampler,
                    "sample_steps": self.sample_steps if sample_steps is None else sample_steps,
                    "guidance": self.guidance if guidance is None else guidance,
                    "eta": self.eta if eta is None else eta}
        check_sampler(**settings, T=self.config.T, num_classes=self.num_classes, where="with_sampler")
        other = copy.copy(self)  # a shallow copy: the same denoiser module
        other._modules = dict(self._modules)
        for name, value in settings.items():
            setattr(other, name, value)
        return other

    @property
    def sampler_settings(self) -> dict:
        return {"sampler": self.sampler, "sample_steps": self.sample_steps, "guidance": self.guidance, "eta": self.eta}

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            got = f"<a tensor of shape {tuple(z.shape)}>" if isinstance(z, torch.Tensor) else z
            raise ArgumentError("DiffusionPainter(z)", expected=f"noise (B, {self.latent_dim})", got=got)
        labels = check_labels(labels, self.num_classes, z.shape[0], "DiffusionPainter")
        check_sampler(**self.sampler_settings, T=self.config.T, num_classes=self.num_classes, where="DiffusionPainter")
        x = z.reshape(z.shape[0], *self.config.image_shape)  # x_T (B, C, H, W)
        noise = _noise_from(z) if self.sampler == "ddpm" or self.eta > 0 else None
        with torch.no_grad():
            x = self._ddpm(x, labels, noise) if self.sampler == "ddpm" else self._ddim(x, labels, noise)
        return x.clamp(-1, 1)

    def _eps(self, x_t: torch.Tensor, t: int, labels: torch.Tensor | None) -> torch.Tensor:
        steps = torch.full((x_t.shape[0],), t, dtype=torch.long, device=x_t.device)  # (B,)
        if labels is not None and self.guidance != 0:
            return guided_eps(self.denoiser, x_t, steps, labels, self.guidance)
        return self.denoiser(x_t, steps, labels)

    def _ddpm(self, x: torch.Tensor, labels: torch.Tensor | None, noise) -> torch.Tensor:
        for t in reversed(range(self.config.T)):
            x, _ = ddpm_step(self.denoiser, self.schedule, x, t, labels=labels, guidance=self.guidance,
                             clip=self.config.clip, noise=noise(x.shape))
        return x

    def _ddim(self, x: torch.Tensor, labels: torch.Tensor | None, noise) -> torch.Tensor:
        timesteps = ddim_timesteps(self.config.T, self.sample_steps).tolist()
        for i in reversed(range(len(timesteps))):
            t, t_prev = timesteps[i], (timesteps[i - 1] if i > 0 else -1)
            eps = self._eps(x, t, labels)
            x = ddim_step(self.schedule, x, eps, t, t_prev, self.eta, clip=self.config.clip,
                          noise=noise(x.shape) if noise is not None else None)
        return x


def _noise_from(z: torch.Tensor):
    """``draw(shape) -> noise (B, ...)``: each row from its own generator, seeded by the bytes of that z."""
    generators = []
    for row in z.detach().cpu().to(torch.float32):
        seed = int.from_bytes(hashlib.blake2b(row.numpy().tobytes(), digest_size=8).digest(), "little")
        generators.append(torch.Generator().manual_seed(seed % 2**63))

    def draw(shape: torch.Size) -> torch.Tensor:
        rows = [torch.randn(shape[1:], generator=g) for g in generators]  # each (C, H, W)
        return torch.stack(rows).to(z.device, z.dtype)                     # (B, C, H, W)

    return draw


def painter_config(denoiser: UNetConfig, image_size: int, **changes) -> DiffusionPainterConfig:
    """A :class:`DiffusionPainterConfig` for ``denoiser`` at ``image_size``, with other fields replaced."""
    return dataclasses.replace(DiffusionPainterConfig(denoiser=denoiser, image_size=image_size), **changes)
