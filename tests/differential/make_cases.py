#!/usr/bin/python3
"""Seeded random configurations of deformable convolution with torchvision's results, for the differential
test (tests/js/torchvision-differential.test.js).

    /usr/bin/python3 tests/differential/make_cases.py --seed S --count N --out DIR [--only I,J,...]

Writes DIR/case-NNNN.json, one per configuration in the format of tests/golden (README there) with a
"config" object added (seed, index, how its offsets and mask were drawn, a one-line description), and
DIR/index.json (seed, count, source, files). Configuration I draws only from numpy's generator seeded with
(S, I), so --only I makes exactly the configuration I of a full run: a failure is replayed alone.

Every parameter varies: batch, channels, weight groups, offset groups, kernel size (non-square too), stride,
dilation, symmetric and four-sided padding, mask or not (uniform or raw N(0, 1) values), bias or not, tiny
images, outputs of one pixel, and now and then a layer of realistic width (WIDE_SHARE); the offsets are
small, ordinary, large (samples outside the image, some up to 1e8 away), exact
integers, exact halves, or put samples exactly on the boundary rules' points (-1, 0, H - 1, H and halves
around them, and just inside or outside -1), or a mix of these. No NaN or infinity (README "NaN and
infinity" lists the known differences there). torchvision computes in float64 from the float32 inputs
(tests/golden/reference.py; four-sided padding by zero-padding the input first).
"""
import argparse
import json
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden'))

import numpy as np  # noqa: E402

import reference  # noqa: E402

# Bounds that keep one configuration to a few thousand elements per tensor (a few hundred of them run in a
# couple of minutes through every build and entry point).
MAX_CHANNELS = 16
MAX_SIZE = 12
MAX_ELEMENTS = 12000
# One configuration in WIDE_SHARE is a layer of realistic width instead: 33 to 96 input channels (more than
# the passes' 32-channel blocks, and with larger kernels more than one 512-deep K block of the GEMM), up to
# 48 output channels and images of 4x4 to 16x16, up to WIDE_MAX_ELEMENTS per tensor.
WIDE_SHARE = 0.06
WIDE_MAX_CHANNELS = 96
WIDE_MAX_ELEMENTS = 60000

OFFSET_KINDS = ['small', 'normal', 'large', 'integer', 'half', 'boundary', 'mixed']


def boundary_positions(size):
    """Sample coordinates on and around the points where the bilinear rule changes, for an image side of
    `size`: outside at <= -1 and >= size, corners dropped between -1 and 0 and between size - 1 and size.
    Dyadic values, so that every coordinate and offset is exact in float32."""
    eps = 1 / 1024
    return np.array([-2, -1.5, -1 - eps, -1, -1 + eps, -0.5, 0, 0.5, 1, size - 1.5, size - 1 - eps, size - 1,
                     size - 1 + eps, size - 0.5, size, size + 0.5], dtype=np.float64)


def draw_offsets(rng, kind, base_y, base_x, size_h, size_w):
    """Offsets (dy, dx) of one kind for sampling grids base_y, base_x (arrays of one shape)."""
    shape = base_y.shape
    if kind == 'small':
        return rng.normal(0, 0.3, shape), rng.normal(0, 0.3, shape)
    if kind == 'normal':
        return rng.normal(0, 1.5, shape), rng.normal(0, 1.5, shape)
    if kind == 'large':
        # mostly a few image sizes away; one in ten huge (up to 1e8, still an int for torchvision's casts)
        def axis(size):
            huge = rng.choice([-1, 1], shape) * 10 ** rng.uniform(3, 8, shape)
            return np.where(rng.random(shape) < 0.1, huge, rng.normal(0, 2 * size + 2, shape))
        return axis(size_h), axis(size_w)
    if kind == 'integer':
        return np.round(rng.normal(0, 2, shape)), np.round(rng.normal(0, 2, shape))
    if kind == 'half':
        return np.round(rng.normal(0, 4, shape)) / 2, np.round(rng.normal(0, 4, shape)) / 2
    if kind == 'boundary':
        # each coordinate on a boundary point, or (one in four) an ordinary offset, so that points on the
        # boundary in one direction meet every kind of coordinate in the other
        def axis(base, size):
            on = rng.choice(boundary_positions(size), shape) - base
            return np.where(rng.random(shape) < 0.75, on, np.round(rng.normal(0, 4, shape)) / 2)
        return axis(base_y, size_h), axis(base_x, size_w)
    # mixed: every element of its own kind
    parts = [draw_offsets(rng, k, base_y, base_x, size_h, size_w) for k in OFFSET_KINDS[:-1]]
    which = rng.integers(0, len(parts), shape)
    return (np.choose(which, [p[0] for p in parts]), np.choose(which, [p[1] for p in parts]))


def draw_config(seed, index):
    """Configuration `index` of the run seeded `seed`: (params, inputs, grad_output, config)."""
    rng = np.random.default_rng([seed, index])
    pick = lambda options: options[rng.integers(0, len(options))]
    wide = bool(rng.random() < WIDE_SHARE)
    while True:
        groups = pick([1, 1, 1, 2, 3, 4])
        offset_groups = pick([1, 1, 2, 3, 4])
        unit = math.lcm(groups, offset_groups)
        if wide:
            c_in = unit * rng.integers(max(1, 33 // unit + 1), WIDE_MAX_CHANNELS // unit + 1)
            c_out = groups * rng.integers(1, max(1, 48 // groups) + 1)
        else:
            c_in = unit * rng.integers(1, max(1, MAX_CHANNELS // unit) + 1)
            c_out = groups * rng.integers(1, max(1, min(4, MAX_CHANNELS // groups)) + 1)
        c_in, c_out = int(c_in), int(c_out)
        if rng.random() < 0.1:  # depthwise: a group per channel (C_in is a multiple of the offset groups)
            groups = c_out = c_in
        kh, kw = pick([1, 1, 2, 3, 3, 3, 4, 5, 7]), pick([1, 1, 2, 3, 3, 3, 4, 5])
        if rng.random() < 0.5:
            kw = kh if rng.random() < 0.5 else kw
        stride = [pick([1, 1, 1, 2, 3]), pick([1, 1, 1, 2, 3])]
        dilation = [pick([1, 1, 1, 2, 3]), pick([1, 1, 1, 2, 3])]
        if rng.random() < 0.5:
            ph, pw = rng.integers(0, 4), rng.integers(0, 4)
            padding = [ph, ph, pw, pw]
        else:
            padding = list(rng.integers(0, 4, 4))
        padding = [int(p) for p in padding]
        batch = pick([1, 1, 1, 2, 3])
        reach_h, reach_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
        shape_kind = 'wide' if wide else pick(['ordinary', 'ordinary', 'ordinary', 'tiny', 'one pixel'])
        if shape_kind == 'wide':
            h, w = rng.integers(4, 17), rng.integers(4, 17)
        elif shape_kind == 'tiny':
            h, w = rng.integers(1, 4), rng.integers(1, 4)
        elif shape_kind == 'one pixel':  # an output of exactly 1x1: the kernel's reach, up to stride - 1 more
            h = reach_h - padding[0] - padding[1] + rng.integers(0, stride[0])
            w = reach_w - padding[2] - padding[3] + rng.integers(0, stride[1])
        else:
            h, w = rng.integers(1, MAX_SIZE + 1), rng.integers(1, MAX_SIZE + 1)
        h = int(max(h, 1, reach_h - padding[0] - padding[1]))
        w = int(max(w, 1, reach_w - padding[2] - padding[3]))
        ho = reference.output_size(h, padding[0], padding[1], dilation[0], kh, stride[0])
        wo = reference.output_size(w, padding[2], padding[3], dilation[1], kw, stride[1])
        taps = offset_groups * kh * kw
        sizes = [batch * c_in * h * w, batch * 2 * taps * ho * wo, c_out * (c_in // groups) * kh * kw,
                 batch * c_out * ho * wo]
        if max(sizes) <= (WIDE_MAX_ELEMENTS if wide else MAX_ELEMENTS):
            break

    has_mask, has_bias = bool(rng.random() < 0.65), bool(rng.random() < 0.6)
    offset_kind = pick(OFFSET_KINDS)
    mask_kind = pick(['uniform', 'uniform', 'normal']) if has_mask else None
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    x = f32(rng.standard_normal((batch, c_in, h, w)))
    weight = f32(rng.standard_normal((c_out, c_in // groups, kh, kw)) / math.sqrt(c_in // groups * kh * kw))
    bias = f32(rng.standard_normal(c_out)) if has_bias else None
    # the sampling grid of every (n, group, i, j, ho, wo), without offsets
    i, j = np.meshgrid(np.arange(kh), np.arange(kw), indexing='ij')
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing='ij')
    base_y = oy[None, :, :] * stride[0] - padding[0] + i.reshape(-1, 1, 1) * dilation[0]
    base_x = ox[None, :, :] * stride[1] - padding[2] + j.reshape(-1, 1, 1) * dilation[1]
    grid = (batch, offset_groups, kh * kw, ho, wo)
    base_y = np.broadcast_to(base_y, grid).astype(np.float64)
    base_x = np.broadcast_to(base_x, grid).astype(np.float64)
    dy, dx = draw_offsets(rng, offset_kind, base_y, base_x, h, w)
    offset = f32(np.stack([dy, dx], axis=3).reshape(batch, 2 * taps, ho, wo))
    mask = None
    if has_mask:
        draw = rng.random if mask_kind == 'uniform' else rng.standard_normal
        mask = f32(draw((batch, taps, ho, wo)))
    grad_output = f32(rng.standard_normal((batch, c_out, ho, wo)))

    params = dict(kernel_size=[kh, kw], stride=stride, padding=padding, dilation=dilation, groups=groups,
                  offset_groups=offset_groups, has_mask=has_mask, has_bias=has_bias)
    inputs = dict(input=x, weight=weight, bias=bias, offset=offset, mask=mask)
    description = (f'N={batch} C_in={c_in} C_out={c_out} {h}x{w} groups={groups} offset_groups={offset_groups} '
                   f'kernel {kh}x{kw} stride {stride} padding {padding} dilation {dilation} -> {ho}x{wo}, '
                   f'offsets {offset_kind}, mask {mask_kind or "none"}, bias {"yes" if has_bias else "no"}')
    config = dict(seed=seed, index=index, offsets=offset_kind, mask=mask_kind, shape=shape_kind,
                  description=description)
    return params, inputs, grad_output, config


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, required=True)
    parser.add_argument('--count', type=int, required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--only', default='', help='comma-separated indices: make only these configurations')
    args = parser.parse_args()
    indices = [int(i) for i in args.only.split(',')] if args.only else list(range(args.count))
    os.makedirs(args.out, exist_ok=True)
    files = []
    for index in indices:
        params, inputs, grad_output, config = draw_config(args.seed, index)
        name = f'case-{index:04d}'
        case = reference.make_case(name, config['description'], params, inputs, grad_output)
        case['config'] = config
        with open(os.path.join(args.out, name + '.json'), 'w') as f:
            f.write(reference.dump(case))
        files.append(name + '.json')
    with open(os.path.join(args.out, 'index.json'), 'w') as f:
        json.dump(dict(seed=args.seed, count=args.count, source=reference.SOURCE, files=files), f)
    print(f'{len(files)} configurations (seed {args.seed}) computed by {reference.SOURCE}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
