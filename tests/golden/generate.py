#!/usr/bin/python3
"""The 18 reference cases of tests/golden: their definitions, and a writer and a checker for the files.

    /usr/bin/python3 tests/golden/generate.py [--out DIR] [CASE...]   writes the cases (default: this folder)
    /usr/bin/python3 tests/golden/generate.py --check [DIR]            checks the committed files

Every case draws its inputs from torch's generator seeded with the case's seed, in one fixed order (input,
weight, bias, offset, mask, then what the case changes, then grad_output); seed_example draws numpy's, as
MindSpore's documentation page does. The results come from torchvision itself (reference.py): float64
math on the float32 inputs.

--check (part of `npm test`) shows that the committed files are these cases and that the installed
torchvision reproduces their numbers: the same names, notes, parameters and shapes; the inputs made again
from the seeds (bit for bit where the machine's torch draws them as torch 2.11 did, which is checked
within float32 rounding so that another CPU's vectorised sampler cannot fail it); offsets_mindspore equal to
the layout conversion of offset and mask; the output and all five gradients recomputed from the committed
inputs, within the project's tolerances (2e-5 and 1e-4 times 1 + |ref|); output_torchvision_f32 within the
forward tolerance of this torchvision's float32 result; and the seed example printing -0.0022044 and 0.
"""
import argparse
import json
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Offsets of edge_offsets, drawn uniformly per element. With H = 6 and W = 5 and padding 1 they put sample
# points exactly on -1 (value 0, but torchvision's one-sided coordinate gradient), just inside it, on
# integers and halves, on H - 1 and W - 1, on H and W (outside), and beyond.
EDGE_OFFSETS = [-1.0, -0.999, -0.5, 0.0, 0.25, 1.0, 5.0, 5.5, 6.0, 2.5, -2.0, 0.75]


def case(name, note, seed, input_shape, out_channels, kernel_size, stride=(1, 1), padding=(1, 1, 1, 1),
         dilation=(1, 1), groups=1, offset_groups=1, has_mask=True, has_bias=True, offsets='normal',
         mask='uniform'):
    """One case: shapes and attributes (padding [top, bottom, left, right]), the seed of torch's
    generator, how its offsets are drawn (normal: N(0, 1); far: 12 N(0, 1); integer: N(0, 1) doubled and
    rounded; edge: EDGE_OFFSETS; zero) and its mask (uniform: U[0, 1); normal: N(0, 1), negative values too)."""
    return dict(name=name, note=note, seed=seed, input_shape=list(input_shape), out_channels=out_channels,
                params=dict(kernel_size=list(kernel_size), stride=list(stride), padding=list(padding),
                            dilation=list(dilation), groups=groups, offset_groups=offset_groups,
                            has_mask=has_mask, has_bias=has_bias),
                offsets=offsets, mask=mask)


# Every case but seed_example (seed_example() below), which draws from numpy as its documentation page does.
CASES = [
    case('asym_padding_mindspore', 'asymmetric padding (top, bottom, left, right) = (0, 2, 1, 0), as MindSpore and ONNX allow',
         10, (1, 4, 7, 6), 3, (3, 3), padding=(0, 2, 1, 0)),
    case('basic_3x3', 'DCNv2, padding 1, mask and bias', 1, (2, 6, 7, 9), 4, (3, 3)),
    case('batch3_groups3', 'batch 3, weight groups 3, offset groups 2', 14, (3, 6, 6, 7), 6, (3, 3), groups=3,
         offset_groups=2),
    case('dcnv1_no_mask', 'DCNv1: no mask, no bias', 2, (1, 4, 6, 6), 3, (3, 3), has_mask=False, has_bias=False),
    case('edge_offsets', 'sample points on and near the -1 and H boundaries', 7, (2, 3, 6, 5), 2, (3, 3),
         offsets='edge'),
    case('far_offsets', 'most samples far outside the input: zeros', 8, (1, 2, 6, 6), 2, (3, 3), offsets='far'),
    case('integer_offsets', 'integer offsets: samples fall on grid points', 6, (1, 4, 7, 7), 2, (3, 3),
         offsets='integer'),
    case('kernel_1x1', '1x1 kernel', 11, (2, 5, 4, 5), 3, (1, 1), padding=(0, 0, 0, 0)),
    case('kernel_5x5_depthwise', 'depthwise: groups = channels = offset groups, 5x5', 12, (1, 4, 9, 9), 4, (5, 5),
         padding=(2, 2, 2, 2), groups=4, offset_groups=4),
    case('kernel_7x1', 'non-square 7x1 kernel', 13, (1, 3, 10, 6), 2, (7, 1), padding=(3, 3, 0, 0)),
    case('medium_64ch', 'a realistic layer: 32 channels, 16x16, 4 offset groups', 15, (1, 32, 16, 16), 32, (3, 3),
         offset_groups=4),
    case('raw_mask_negative', 'mask is a raw multiplier: negative values allowed, no sigmoid', 4, (1, 3, 5, 5), 2,
         (3, 3), mask='normal'),
    case('stride2_dil2', 'stride 2, dilation 2, two offset groups', 9, (1, 8, 11, 13), 6, (3, 3), stride=(2, 2),
         padding=(2, 2, 2, 2), dilation=(2, 2), offset_groups=2),
    case('stride3_no_pad', 'stride 3, 2x2 kernel, no padding', 17, (2, 3, 10, 10), 4, (2, 2), stride=(3, 3),
         padding=(0, 0, 0, 0)),
    case('tiny_1x1_input', '1x1 input with padding', 16, (1, 2, 1, 1), 2, (3, 3)),
    case('torchvision_test_config', "the configuration of torchvision's own test: groups 2, offset groups 3, "
         'kernel 3x2, stride (2,1), pad (1,0), dilation (2,1)', 3, (2, 6, 5, 4), 2, (3, 2), stride=(2, 1),
         padding=(1, 1, 0, 0), dilation=(2, 1), groups=2, offset_groups=3),
    case('zero_offsets_equals_conv', 'zero offsets, no mask: equals a plain convolution', 5, (1, 5, 8, 8), 3, (3, 3),
         has_mask=False, offsets='zero'),
]

SEED_EXAMPLE_NOTE = (
    'The code example of MindSpore\'s documentation page "Differences with torchvision.ops.deform_conv2d": '
    'numpy seed 1, 1x2 input, 64 channels, 1x1 kernel, grad_output of ones. '
    'Expected torchvision print: tensor([[[[-0.0022, 0.0000]]]]); MindSpore print: [[[[-0.00220442 0.]]]]')


def output_shape(c):
    p = c['params']
    n, _, h, w = c['input_shape']
    (kh, kw), (sh, sw), (top, bottom, left, right), (dh, dw) = (p['kernel_size'], p['stride'], p['padding'],
                                                               p['dilation'])
    return [n, c['out_channels'], reference.output_size(h, top, bottom, dh, kh, sh),
            reference.output_size(w, left, right, dw, kw, sw)]


def draw_inputs(c):
    """The float32 inputs and grad_output of case c, drawn from its seed."""
    p = c['params']
    n, c_in, _, _ = c['input_shape']
    kh, kw = p['kernel_size']
    _, _, ho, wo = output_shape(c)
    taps = p['offset_groups'] * kh * kw
    fan_in = c_in // p['groups'] * kh * kw
    torch.manual_seed(c['seed'])
    x = torch.randn(*c['input_shape'])
    weight = torch.randn(c['out_channels'], c_in // p['groups'], kh, kw) / math.sqrt(fan_in)
    bias = torch.randn(c['out_channels']) if p['has_bias'] else None
    offset = torch.randn(n, 2 * taps, ho, wo)
    mask = (torch.randn if c['mask'] == 'normal' else torch.rand)(n, taps, ho, wo)
    if c['offsets'] == 'far':
        offset = torch.randn(n, 2 * taps, ho, wo) * 12
    elif c['offsets'] == 'integer':
        offset = torch.round(offset * 2)
    elif c['offsets'] == 'edge':
        offset = torch.tensor(EDGE_OFFSETS)[torch.randint(0, len(EDGE_OFFSETS), (n, 2 * taps, ho, wo))]
    elif c['offsets'] == 'zero':
        offset = torch.zeros_like(offset)
    grad_output = torch.randn(*output_shape(c))
    array = lambda t: None if t is None else t.numpy().astype(np.float32)
    inputs = dict(input=array(x), weight=array(weight), bias=array(bias), offset=array(offset),
                  mask=array(mask) if p['has_mask'] else None)
    return inputs, array(grad_output)


def seed_example():
    """The case and inputs of MindSpore's documentation example, drawn as its code draws them."""
    np.random.seed(1)
    batch, groups, kh, kw, h, w = 1, 1, 1, 1, 1, 2
    x = np.random.randn(batch, 64, h, w).astype(np.float32)
    weight = np.random.randn(batch, 64, kh, kw).astype(np.float32)
    offsets_x = np.random.randn(batch, 1, groups, kh, kw, h, w).astype(np.float32)
    offsets_y = np.random.randn(batch, 1, groups, kh, kw, h, w).astype(np.float32)
    mask = np.random.randn(batch, 1, groups, kh, kw, h, w).astype(np.float32)
    offset = np.concatenate((offsets_y, offsets_x), axis=1).transpose(0, 2, 3, 4, 1, 5, 6)
    offset = np.ascontiguousarray(offset.reshape(batch, 2 * groups * kh * kw, h, w))
    mask = np.ascontiguousarray(mask.transpose(0, 2, 3, 4, 1, 5, 6).reshape(batch, groups * kh * kw, h, w))
    c = dict(name='seed_example', note=SEED_EXAMPLE_NOTE,
             params=dict(kernel_size=[kh, kw], stride=[1, 1], padding=[0, 0, 0, 0], dilation=[1, 1], groups=1,
                         offset_groups=groups, has_mask=True, has_bias=False))
    inputs = dict(input=x, weight=weight, bias=None, offset=offset, mask=mask)
    return c, inputs, np.ones((batch, 1, h, w), dtype=np.float32)


def definitions():
    """Every case as (definition, inputs, grad_output), sorted by name: CASES and the seed example."""
    out = [(c, *draw_inputs(c)) for c in CASES] + [seed_example()]
    return sorted(out, key=lambda item: item[0]['name'])


def write(out_dir, only):
    os.makedirs(out_dir, exist_ok=True)
    for c, inputs, grad_output in definitions():
        if only and c['name'] not in only:
            continue
        made = reference.make_case(c['name'], c['note'], c['params'], inputs, grad_output)
        with open(os.path.join(out_dir, c['name'] + '.json'), 'w') as f:
            f.write(reference.dump(made))
        print(f"wrote {c['name']}.json")
    print(f'source: {reference.SOURCE}')


def check_case(c, inputs, grad_output, committed):
    """Problems of one committed case (empty when it passes) and a line of what was measured."""
    problems = []
    name = c['name']
    for key in ('name', 'note', 'params'):
        if committed.get(key) != c[key]:
            problems.append(f'{key} is {committed.get(key)!r}, the generator says {c[key]!r}')
    for key, made in inputs.items():
        if (committed.get(key) is None) != (made is None):
            problems.append(f'{key}: present in only one of the file and the generator')
    if problems:
        return problems, ''
    kept, committed_go = reference.case_inputs(committed)
    identical = 0
    for key, made in list(inputs.items()) + [('grad_output', grad_output)]:
        if made is None:
            continue
        ours = kept[key] if key != 'grad_output' else committed_go
        if list(ours.shape) != list(made.shape):
            problems.append(f'{key}: shape {list(ours.shape)}, the generator makes {list(made.shape)}')
        elif np.array_equal(ours, made):
            identical += 1
        elif not reference.worst_difference(ours, made) <= 1e-6:
            problems.append(f'{key}: the generator draws other values (worst {reference.worst_difference(ours, made):.3g})')
    expected_ms = reference.to_mindspore(kept['offset'], kept['mask'], c['params']['kernel_size'])
    if committed['shapes']['offsets_mindspore'] != list(expected_ms.shape) or \
            not np.array_equal(np.asarray(committed['offsets_mindspore'], dtype=np.float32), expected_ms.ravel()):
        problems.append('offsets_mindspore is not the MindSpore layout of offset and mask')
    if problems:
        return problems, ''

    output, grads = reference.run_torchvision(kept, c['params'], torch.float64, committed_go)
    output_f32, _ = reference.run_torchvision(kept, c['params'], torch.float32)
    if committed['shapes']['output'] != list(output.shape):
        return [f"output shape {committed['shapes']['output']}, torchvision gives {list(output.shape)}"], ''
    worst_forward = reference.worst_difference(committed['output'], output)
    worst_f32 = reference.worst_difference(committed['output_torchvision_f32'], output_f32)
    if not worst_forward <= reference.FORWARD_TOLERANCE:
        problems.append(f'output differs from torchvision by {worst_forward:.3g} (1 + |ref|)')
    if not worst_f32 <= reference.FORWARD_TOLERANCE:
        problems.append(f'output_torchvision_f32 differs from torchvision float32 by {worst_f32:.3g} (1 + |ref|)')
    worst_gradient = 0.0
    for key, grad in grads.items():
        stored = committed[f'grad_{key}']
        if (stored is None) != (grad is None):
            problems.append(f'grad_{key}: present in only one of the file and torchvision')
            continue
        if grad is None:
            continue
        d = reference.worst_difference(stored, grad)
        worst_gradient = max(worst_gradient, d)
        if not d <= reference.GRADIENT_TOLERANCE:
            problems.append(f'grad_{key} differs from torchvision by {d:.3g} (1 + |ref|)')
    if name == 'seed_example':
        printed = [f'{v:.7f}' for v in output.ravel()]
        if printed != ['-0.0022044', '0.0000000']:
            problems.append(f'the seed example prints {printed}, not -0.0022044 and 0')
    drawn = sum(v is not None for v in inputs.values()) + 1
    line = (f'{name}: inputs {identical}/{drawn} bit-identical to the generator; torchvision now differs by '
            f'{worst_forward:.1e} (output), {worst_gradient:.1e} (gradients), {worst_f32:.1e} (float32 output)')
    return problems, line


def check(directory):
    files = sorted(f for f in os.listdir(directory) if f.endswith('.json'))
    made = definitions()
    expected = [c['name'] + '.json' for c, _, _ in made]
    failures = 0
    if files != expected:
        print(f'the folder holds {files}, the generator defines {expected}')
        failures += 1
    for c, inputs, grad_output in made:
        path = os.path.join(directory, c['name'] + '.json')
        if not os.path.exists(path):
            continue
        with open(path) as f:
            committed = json.load(f)
        problems, line = check_case(c, inputs, grad_output, committed)
        if problems:
            failures += 1
            print(f"FAIL {c['name']} ({committed.get('source')}):\n  " + '\n  '.join(problems))
        else:
            print(line)
    print(f'checked with {reference.SOURCE}: ' + ('all cases agree' if not failures else f'{failures} problems'))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', nargs='?', const=HERE, metavar='DIR',
                        help='check the case files in DIR (default: this folder) instead of writing them')
    parser.add_argument('--out', default=HERE, help='where to write the cases (default: this folder)')
    parser.add_argument('cases', nargs='*', help='write only these cases')
    args = parser.parse_args()
    if args.check:
        return check(args.check)
    write(args.out, set(args.cases))
    return 0


if __name__ == '__main__':
    sys.exit(main())
