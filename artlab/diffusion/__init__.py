"""Denoising diffusion from scratch: lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).

A diffusion model paints by undoing noise. The forward process adds a little Gaussian
noise at each of T steps until only noise is left; a network learns to predict the noise
in a noisy picture; a sampler starts from pure noise and removes it step by step.

* :mod:`artlab.diffusion.schedule`: the noise levels (:class:`~.schedule.NoiseSchedule`,
  :func:`~.schedule.linear_schedule`, :func:`~.schedule.cosine_schedule`) and the maths of
  the forward process: ``q_step``, the closed form ``q_sample``, the ``posterior``
  q(x_{t-1} | x_t, x_0), ``predict_x0`` and ``predict_eps``. Its docstring fixes the step
  convention (0-based steps, alpha_bar[0] = 1 - beta_0) that every module follows.
* :mod:`artlab.diffusion.losses`: the noise-prediction loss and label dropout for
  classifier-free guidance.
* :mod:`artlab.diffusion.unet`: the denoisers, a small :class:`~.unet.UNet` for images and
  an :class:`~.unet.MLPDenoiser` for 2-D points, both ``model(x_t, t, labels) -> eps``.
* :mod:`artlab.diffusion.sampling`: the DDPM and DDIM samplers, DDIM inversion and
  classifier-free guidance.
* :mod:`artlab.diffusion.train`: the training loop on the shared scaffold of
  :mod:`artlab.training` (:class:`~.train.TrainConfig`, :func:`~.train.train_diffusion`).
* :mod:`artlab.diffusion.painter`: :class:`~.painter.DiffusionPainter`, a denoiser and its schedule
  as a painter (``painter(z, labels) -> images``), registered as ``"diffusion"`` in
  :data:`artlab.registry.PAINTERS`, so ``artlab paint --model diffusion`` and
  :func:`artlab.painters.load_painter` know it.
* :mod:`artlab.diffusion.recipes`: the settings lesson 10 trains with (schedule, network,
  batch, learning rate, EMA, steps), and the registry's recipe.

The exponential moving average of the weights is :func:`artlab.training.ema_update`.
Nothing is imported here: ``from artlab.diffusion.schedule import linear_schedule``.
"""
