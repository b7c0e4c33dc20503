"""Images to paint from: digits, procedural paintings, and your own folder of pictures.

Every loader returns an :class:`ImageSet`: a float tensor of images ``(N, C, H, W)``
scaled to [-1, 1] (the range of a generator's ``tanh``), optional integer labels, and
a name. Nothing is downloaded:

* :func:`digits` -- scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10
  classes), resized to 16x16 (or 32x32) with a fixed, stratified train/test split
  (360 test images, ``random_state=0``).
* :func:`mondrian` -- paintings in the style of Piet Mondrian's grid compositions,
  generated from a seed: straight black lines that run the full width or height of the
  canvas, and the rectangles between them white or filled from a small palette. The
  style has a rule a program can check (:func:`style_rule`), so a lesson can measure
  what share of a GAN's paintings obey it.
* :func:`clustered` -- the same images labelled by k-means clusters of their pixels
  (:func:`kmeans`): labels found without a person, for a self-conditioned GAN (lesson 04).
* :func:`image_folder` -- any folder of PNG/JPEG files, centre-cropped to a square,
  resized and scaled the same way (refusing pictures under :data:`MIN_SIDE` pixels, warning about
  ones enlarged a lot; ``skip_bad=True`` leaves unreadable files out). This is how your own art plugs in. (Have MNIST or
  CIFAR on disk? Point this at a folder of their images, or use torchvision's datasets
  with ``download=False``.)

Lessons 03 and 04 paint with these.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from artlab.errors import ArgumentError, ArtlabWarning, DataError, warn_skipped, whole_number

__all__ = ["ImageSet", "digits", "mondrian", "style_rule", "StyleReport", "image_folder", "kmeans", "clustered",
           "PALETTE", "PALETTE_NAMES", "IMAGE_SUFFIXES", "MIN_SIDE", "ENLARGE_WARNING"]

DIGITS_TEST_SIZE = 360
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

MIN_SIDE = 8
"""The shortest side, in pixels, of a picture :func:`image_folder` accepts: anything smaller (a
1x1 tracking pixel, a favicon) has too little in it to learn from."""

ENLARGE_WARNING = 2
""":func:`image_folder` warns about pictures it must enlarge more than this many times."""

# Mondrian's palette, as RGB in [0, 1]: the canvas, the lines, and three primaries.
PALETTE_NAMES = ("white", "black", "red", "blue", "yellow")
PALETTE = torch.tensor([
    [0.96, 0.95, 0.91],  # off-white canvas
    [0.05, 0.05, 0.05],  # lines
    [0.80, 0.10, 0.10],  # red
    [0.10, 0.20, 0.65],  # blue
    [0.98, 0.82, 0.12],  # yellow
])


@dataclass(frozen=True)
class ImageSet:
    """Images ``(N, C, H, W)`` in [-1, 1], optional labels ``(N,)``, and a name."""

    images: torch.Tensor
    labels: torch.Tensor | None
    name: str

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one image."""
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return 0 if self.labels is None else int(self.labels.max()) + 1

    def sampler(self, labelled: bool = False):
        """A function ``sample(batch_size)`` drawing random images (with replacement), for
        ``artlab.gan.train.train_gan``: it returns ``x`` ``(B, C, H, W)``, or ``(x, labels)``
        when ``labelled`` (a conditional GAN). It draws from PyTorch's global generator, so a
        seeded run is repeatable and resumes exactly."""
        if labelled and self.labels is None:
            raise ArgumentError(f"{self.name}.sampler(labelled=True)", expected="an image set with labels",
                                got="<images without labels>", hint="Train an unconditional GAN: sampler().")
        images, labels = self.images, self.labels

        def sample(batch_size: int):
            index = torch.randint(0, len(images), (batch_size,))  # (B,)
            return (images[index], labels[index]) if labelled else images[index]

        return sample


def _check_size(size: int, where: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 8 or size & (size - 1):
        raise ArgumentError(where, expected="a power of two from 8 up (16 or 32 in the lessons)", got=size)


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize ``(N, C, h, w)`` to ``(N, C, size, size)`` with antialiasing when shrinking."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def digits(size: int = 16, split: str = "train") -> ImageSet:
    """scikit-learn's handwritten digits as 1-channel images in [-1, 1], with labels.

    ``split`` is ``"train"`` (1,437 images), ``"test"`` (360) or ``"all"`` (1,797). The
    split is fixed and stratified, so every digit has the same share on both sides.
    """
    _check_size(size, "digits(size)")
    if split not in ("train", "test", "all"):
        raise ArgumentError("digits(split)", expected="'train', 'test' or 'all'", got=split)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    pixels = torch.from_numpy(bunch.images).float()[:, None] / 16.0  # (N, 1, 8, 8) in [0, 1]
    labels = torch.from_numpy(bunch.target).long()
    index = np.arange(len(labels))
    if split != "all":
        train, test = train_test_split(index, test_size=DIGITS_TEST_SIZE, stratify=bunch.target, random_state=0)
        index = np.sort(train if split == "train" else test)
    images = _resize(pixels[index], size).clamp(0, 1) * 2 - 1
    return ImageSet(images, labels[index], f"digits {size}x{size} ({split})")


# --- procedural paintings ------------------------------------------------------------------

def _line_width(size: int) -> int:
    return max(1, size // 16)


def mondrian(n: int, size: int = 32, seed: int = 0) -> ImageSet:
    """*n* Mondrian-style paintings of ``size x size`` RGB pixels, the same for the same seed.

    Each painting has 1-3 vertical and 1-3 horizontal black lines, each running the full
    height or width of the canvas, at least ``size/8`` pixels apart; between them, each
    rectangle is white or (with probability 0.3) red, blue or yellow. The label is the
    number of filled rectangles (0, 1, 2, ...), handy for a conditional GAN.
    """
    _check_size(size, "mondrian(size)")
    whole_number(n, "mondrian(n)", unit="paintings")
    rng = np.random.default_rng(seed)
    width = _line_width(size)
    gap = max(3, size // 8)
    out = torch.empty(n, 3, size, size)
    labels = torch.empty(n, dtype=torch.long)
    for i in range(n):
        xs = _line_positions(rng, size, width, gap)
        ys = _line_positions(rng, size, width, gap)
        canvas = PALETTE[0].view(3, 1, 1).repeat(1, size, size)
        x_edges = [0, *sorted(xs), size]
        y_edges = [0, *sorted(ys), size]
        filled = 0
        for top, bottom in zip(y_edges[:-1], y_edges[1:]):
            for left, right in zip(x_edges[:-1], x_edges[1:]):
                if rng.random() < 0.3:
                    colour = PALETTE[2 + rng.integers(3)]
                    canvas[:, top:bottom, left:right] = colour.view(3, 1, 1)
                    filled += 1
        for x in xs:
            canvas[:, :, x:x + width] = PALETTE[1].view(3, 1, 1)
        for y in ys:
            canvas[:, y:y + width, :] = PALETTE[1].view(3, 1, 1)
        out[i] = canvas
        labels[i] = filled
    return ImageSet(out * 2 - 1, labels, f"mondrian {size}x{size} (seed {seed})")


def _line_positions(rng: np.random.Generator, size: int, width: int, gap: int) -> list[int]:
    """1-3 line positions, at least *gap* pixels from each other and from the edges."""
    count = int(rng.integers(1, 4))
    for _ in range(100):
        positions = sorted(int(p) for p in rng.integers(gap, size - gap - width + 1, size=count))
        if all(b - a >= gap + width for a, b in zip(positions, positions[1:])):
            return positions
    return [size // 2 - width // 2]


@dataclass(frozen=True)
class StyleReport:
    """How far paintings obey the Mondrian rule (shares in [0, 1] over the paintings)."""

    palette_fidelity: float   # mean share of pixels close to a palette colour
    has_lines: float          # share with >= 1 full-length vertical AND horizontal line
    uniform_cells: float      # mean share of rectangles between lines that are one colour
    obeys: float              # share that obeys the whole rule

    def __str__(self) -> str:
        return (f"obey the rule: {self.obeys:.0%} (palette fidelity {self.palette_fidelity:.0%}, "
                f"full-length lines {self.has_lines:.0%}, one-colour rectangles {self.uniform_cells:.0%})")


def style_rule(images: torch.Tensor, tolerance: float = 0.2) -> StyleReport:
    """Check Mondrian's rule on paintings ``(N, 3, H, W)`` in [-1, 1].

    A painting obeys the rule when

    1. at least 95% of its pixels lie within *tolerance* (RGB distance, colours in [0, 1])
       of a palette colour,
    2. it has a black line running the full height (a column at least 90% black) and
       one running the full width, and
    3. at least 90% of the rectangles between its lines are a single palette colour
       (90% of their pixels share the nearest palette colour).
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ArgumentError("style_rule(images)", expected="RGB paintings of shape (N, 3, H, W)",
                            got=tuple(images.shape))
    rgb = (images.detach().float().cpu().clamp(-1, 1) + 1) / 2           # (N, 3, H, W)
    distances = torch.cdist(rgb.permute(0, 2, 3, 1).reshape(len(rgb), -1, 3), PALETTE)  # (N, HW, 5)
    nearest_distance, nearest = distances.min(dim=2)
    size = images.shape[-1]
    nearest = nearest.view(len(rgb), size, -1)                            # (N, H, W)
    fidelity = (nearest_distance <= tolerance).float().mean(dim=1)        # (N,)
    black = (nearest == 1) & (nearest_distance.view_as(nearest) <= tolerance)
    palette_ok, lines_ok, cells_share, obeys = [], [], [], []
    for i in range(len(rgb)):
        columns = _line_runs(black[i].float().mean(dim=0) >= 0.9)
        rows = _line_runs(black[i].float().mean(dim=1) >= 0.9)
        has_lines = bool(columns) and bool(rows)
        share = _uniform_cell_share(nearest[i], columns, rows) if has_lines else 0.0
        palette_ok.append(float(fidelity[i]))
        lines_ok.append(float(has_lines))
        cells_share.append(share)
        obeys.append(float(fidelity[i] >= 0.95 and has_lines and share >= 0.9))
    mean = lambda values: float(np.mean(values))  # noqa: E731
    return StyleReport(mean(palette_ok), mean(lines_ok), mean(cells_share), mean(obeys))


def _line_runs(is_line: torch.Tensor) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` of consecutive True entries."""
    runs, start = [], None
    for index, value in enumerate(is_line.tolist() + [False]):
        if value and start is None:
            start = index
        elif not value and start is not None:
            runs.append((start, index))
            start = None
    return runs


def _uniform_cell_share(nearest: torch.Tensor, columns: list, rows: list) -> float:
    """Share of rectangles between lines whose pixels are >= 90% one non-black colour."""
    size = nearest.shape[-1]
    x_edges = [0, *[e for run in columns for e in run], size]
    y_edges = [0, *[e for run in rows for e in run], size]
    x_cells = [(a, b) for a, b in zip(x_edges[0::2], x_edges[1::2]) if b > a]
    y_cells = [(a, b) for a, b in zip(y_edges[0::2], y_edges[1::2]) if b > a]
    uniform = total = 0
    for top, bottom in y_cells:
        for left, right in x_cells:
            cell = nearest[top:bottom, left:right].flatten()
            counts = torch.bincount(cell, minlength=len(PALETTE))
            total += 1
            uniform += int(counts.max() >= 0.9 * len(cell) and counts.argmax() != 1)
    return uniform / total if total else 0.0


# --- labels without a person -----------------------------------------------------------------

def kmeans(points: torch.Tensor, k: int, seed: int = 0, iterations: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    """Group ``points`` ``(N, ...)`` into ``k`` clusters: ``(labels (N,), centres (k, ...))``.

    Lloyd's algorithm from a k-means++ start (each new centre drawn with probability proportional
    to its squared distance from the nearest chosen one), with a private generator: the same
    seed gives the same clusters. A cluster that empties keeps its centre. Points with a NaN or an
    infinity are refused (they have no distance to anything).
    """
    whole_number(k, "kmeans(k)", low=1, high=len(points), unit="clusters", hint="At most one cluster per point.")
    rng = torch.Generator().manual_seed(seed)
    flat = points.detach().float().flatten(1)                               # (N, D)
    if not torch.isfinite(flat).all():
        bad = int((~torch.isfinite(flat)).any(dim=1).sum())
        raise ArgumentError("kmeans(points)", expected="finite numbers", got=f"<{bad} of {len(flat)} points with NaN or inf>",
                            hint="Check the images for NaNs (a diverged generator paints them).")
    centres = flat[torch.randint(len(flat), (1,), generator=rng)]           # (1, D)
    for _ in range(1, k):
        nearest = torch.cdist(flat, centres).min(dim=1).values ** 2        # (N,)
        weights = nearest if nearest.sum() > 0 else torch.ones_like(nearest)
        centres = torch.cat([centres, flat[torch.multinomial(weights, 1, generator=rng)]])
    labels = torch.cdist(flat, centres).argmin(dim=1)                       # (N,)
    for _ in range(iterations):
        sums = torch.zeros_like(centres).index_add_(0, labels, flat)
        counts = torch.bincount(labels, minlength=k)
        centres = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centres)
        moved = torch.cdist(flat, centres).argmin(dim=1)
        if torch.equal(moved, labels):
            break
        labels = moved
    return labels, centres.view(k, *points.shape[1:])


def clustered(images: ImageSet, k: int, seed: int = 0) -> ImageSet:
    """``images`` labelled by :func:`kmeans` on their pixels: cluster 0..k-1, no person involved.

    Clusters of digit pixels mostly hold one digit (lesson 04 measures how purely), so a conditional
    GAN trained on them learns separate groups the way it does from real labels. Any labels
    ``images`` had are replaced.
    """
    labels, _ = kmeans(images.images, k, seed)
    return ImageSet(images.images, labels, f"{images.name}, {k} k-means clusters")


# --- your own images -----------------------------------------------------------------------

def image_folder(folder: str | Path, size: int = 32, channels: int = 3, *, skip_bad: bool = False) -> ImageSet:
    """Every PNG/JPEG in *folder* (not its subfolders), centre-cropped, resized, in [-1, 1].

    Hidden files (names starting with ``.``) are skipped; any other file must be an image artlab
    can read, at least :data:`MIN_SIDE` pixels on its shorter side, or a
    :class:`~artlab.errors.DataError` names it. A picture enlarged more than
    :data:`ENLARGE_WARNING` times (a 10x10 icon made 32x32) is kept, and one
    :class:`~artlab.errors.ArtlabWarning` lists such pictures: they train the painter on blur.

    ``skip_bad=True`` loads the rest instead of stopping at the first bad file, and one
    ``ArtlabWarning`` says how many files were skipped and why, one line each; a folder with no
    readable picture still fails.
    """
    _check_size(size, "image_folder(size)")
    if channels not in (1, 3):
        raise ArgumentError("image_folder(channels)", expected="1 (grey) or 3 (RGB)", got=channels)
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"image folder {folder}", expected="an existing folder of PNG or JPEG files",
                        got="<a file>" if folder.exists() else "<no such folder>",
                        hint="Check the path (relative paths start from the notebook's folder).")
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_file() or p.is_symlink()))
    if not files:
        raise DataError(f"image folder {folder}", expected="at least one PNG or JPEG file",
                        got="<an empty folder>", hint="Copy some images into it.")
    from PIL import Image

    images, skipped, enlarged = [], [], []
    for path in files:
        try:
            picture = _read_picture(path, channels)
        except DataError as error:
            if not skip_bad:
                raise
            skipped.append(error)
            continue
        side = min(picture.size)
        if side * ENLARGE_WARNING < size:
            enlarged.append(f"{path.name} ({picture.width}x{picture.height})")
        left, top = (picture.width - side) // 2, (picture.height - side) // 2
        picture = picture.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        array = np.asarray(picture, dtype=np.float32) / 255.0
        tensor = torch.from_numpy(array)
        images.append(tensor[None] if channels == 1 else tensor.permute(2, 0, 1))
    if not images:
        raise DataError(f"image folder {folder}", expected="at least one readable PNG or JPEG picture",
                        got=f"<none of {len(files)} files>", hint=" ".join(str(skipped[0]).split()))
    warn_skipped(f"image folder {folder}", skipped, len(files), "files")
    if enlarged:
        import warnings

        shown = ", ".join(enlarged[:5]) + (f" and {len(enlarged) - 5} more" if len(enlarged) > 5 else "")
        warnings.warn(ArtlabWarning(f"image folder {folder}: {len(enlarged)} of {len(images)} pictures are enlarged "
                                    f"more than {ENLARGE_WARNING}x to {size}x{size}, so the painter learns blur from "
                                    f"them: {shown}. Use larger pictures, or a smaller size."), stacklevel=2)
    return ImageSet(torch.stack(images).clamp(0, 1) * 2 - 1, None, f"{folder.name} ({len(images)} images)")


def _read_picture(path: Path, channels: int):
    """The picture in one file, decoded in full and converted to grey or RGB; a DataError says what is wrong."""
    from PIL import Image, UnidentifiedImageError

    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise DataError(f"file {path}", expected=f"an image ({', '.join(IMAGE_SUFFIXES)})",
                        got=f"<a {path.suffix or 'suffix-less'} file>",
                        hint="Move files that are not images out of the folder (or pass skip_bad=True).")
    if not path.is_file():
        raise DataError(f"file {path}", expected="a readable picture", got="<a link to a file that does not exist>",
                        hint="Copy the picture itself into the folder.")
    if path.stat().st_size == 0:
        raise DataError(f"file {path}", expected="a readable PNG or JPEG image", got="<an empty file>",
                        hint="Copy it again; the copy or download stopped before it began.")
    try:
        with Image.open(path) as opened:
            picture = opened.convert("L" if channels == 1 else "RGB")  # decodes every pixel
    except Image.DecompressionBombError as error:
        raise DataError(f"file {path}", expected=f"a picture of at most {Image.MAX_IMAGE_PIXELS:,} pixels",
                        got=f"<{error}>", hint="Shrink it in an image editor first.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise DataError(f"file {path}", expected="a readable PNG or JPEG image",
                        got=f"<an unreadable file: {error}>",
                        hint="Open it in an image viewer; re-save or remove it.") from None
    if min(picture.size) < MIN_SIDE:
        raise DataError(f"file {path}", expected=f"a picture at least {MIN_SIDE}x{MIN_SIDE} pixels",
                        got=f"<{picture.width}x{picture.height} pixels>",
                        hint="Too small to learn from (it would be enlarged into a blur); remove it.")
    return picture
