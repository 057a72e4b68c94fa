"""torchvision.ops.deform_conv2d as the reference: one call's output and gradients, and the case format.

Shared by generate.py (the 18 reference cases of this folder) and tests/differential/make_cases.py (the
seeded random configurations of the differential test). Run with Debian's /usr/bin/python3, which has
python3-torchvision (torch 1.13, torchvision 0.14, CPU).

A case is one JSON object (the format tests/golden/README.md describes): float32 inputs, the results in
float64 (torchvision run on float64 tensors made from the float32 inputs), the offsets also in MindSpore's
layout, and every gradient for a given grad_output.
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import deform_conv2d

# One thread: float64 sums in one order on every machine (the results do not depend on it beyond rounding).
torch.set_num_threads(1)

SOURCE = (f'torchvision {torchvision.__version__}, torch {torch.__version__}, CPU, '
          'float64 math on float32 inputs')

FORWARD_TOLERANCE = 2e-5   # |ours - ref| <= tol * (1 + |ref|), elementwise: outputs
GRADIENT_TOLERANCE = 1e-4  # the same for gradients


def output_size(size, pad_before, pad_after, dilation, kernel, stride):
    return (size + pad_before + pad_after - (dilation * (kernel - 1) + 1)) // stride + 1


def run_torchvision(inputs, params, dtype=torch.float64, grad_output=None):
    """Runs deform_conv2d on the float32 arrays of inputs (input, weight, offset; bias and mask or None),
    converted to dtype. params: stride [sh, sw], padding [top, bottom, left, right], dilation [dh, dw].

    torchvision has symmetric padding only; four-sided padding zero-pads the input first and calls it with
    padding 0, which is the same operation: only the top and left padding move the sampling points, a sample
    in the padded rows or columns reads zeros exactly as one outside the image does, and the gradient of the
    input is the padded one's without its border. Returns (output, gradients): numpy arrays in dtype;
    gradients is None without grad_output, else a dict with input, weight, offset, mask and bias (None for
    an absent mask or bias)."""
    def leaf(name):
        a = inputs.get(name)
        return None if a is None else torch.tensor(a, dtype=dtype, requires_grad=grad_output is not None)

    x, weight, offset, mask, bias = (leaf(k) for k in ('input', 'weight', 'offset', 'mask', 'bias'))
    top, bottom, left, right = params['padding']
    if top == bottom and left == right:
        padded, padding = x, (top, left)
    else:
        padded, padding = F.pad(x, (left, right, top, bottom)), (0, 0)
    out = deform_conv2d(padded, offset, weight, bias, stride=tuple(params['stride']), padding=padding,
                        dilation=tuple(params['dilation']), mask=mask)
    if grad_output is None:
        return out.detach().numpy(), None
    out.backward(torch.tensor(grad_output, dtype=dtype))
    grads = {name: (None if t is None else t.grad.numpy())
             for name, t in (('input', x), ('weight', weight), ('offset', offset), ('mask', mask), ('bias', bias))}
    return out.detach().numpy(), grads


def to_mindspore(offset, mask, kernel_size):
    """torchvision's offset (N, 2*G*K, Ho, Wo: (dy, dx) pairs) and mask (N, G*K, Ho, Wo, or None: ones) as
    MindSpore's offsets (N, 3*G*K, Ho, Wo): the blocks [dx | dy | mask], each indexed by g*K + tap."""
    if mask is None:
        mask = np.ones((offset.shape[0], offset.shape[1] // 2) + offset.shape[2:], dtype=offset.dtype)
    return np.concatenate([offset[:, 1::2], offset[:, 0::2], mask], axis=1)


def flat(a):
    """A tensor as the format stores it: a flat list in C order (float32 values are exact in float64)."""
    return None if a is None else np.asarray(a, dtype=np.float64).ravel().tolist()


def make_case(name, note, params, inputs, grad_output):
    """The case as a dict, keys in the format's order. params: kernel_size, stride, padding (four-sided),
    dilation, groups, offset_groups, has_mask, has_bias. inputs: float32 arrays (bias, mask may be None).
    grad_output: float32 array of the output's shape."""
    output, grads = run_torchvision(inputs, params, torch.float64, grad_output)
    output_f32, _ = run_torchvision(inputs, params, torch.float32)
    offsets_mindspore = to_mindspore(inputs['offset'], inputs['mask'], params['kernel_size'])
    shape = lambda a: None if a is None else list(a.shape)
    return {
        'name': name,
        'note': note,
        'source': SOURCE,
        'params': {key: params[key] for key in ('kernel_size', 'stride', 'padding', 'dilation', 'groups',
                                                'offset_groups', 'has_mask', 'has_bias')},
        'shapes': {
            'input': shape(inputs['input']), 'weight': shape(inputs['weight']), 'bias': shape(inputs['bias']),
            'offset': shape(inputs['offset']), 'mask': shape(inputs['mask']),
            'offsets_mindspore': shape(offsets_mindspore), 'output': shape(output),
        },
        'input': flat(inputs['input']),
        'weight': flat(inputs['weight']),
        'bias': flat(inputs['bias']),
        'offset': flat(inputs['offset']),
        'mask': flat(inputs['mask']),
        'offsets_mindspore': flat(offsets_mindspore),
        'output': flat(output),
        'output_torchvision_f32': flat(output_f32),
        'grad_output': flat(grad_output),
        'grad_input': flat(grads['input']),
        'grad_weight': flat(grads['weight']),
        'grad_offset': flat(grads['offset']),
        'grad_mask': flat(grads['mask']),
        'grad_bias': flat(grads['bias']),
    }


def dump(case):
    """The case as the committed files hold it: compact JSON, no newline at the end."""
    return json.dumps(case, separators=(',', ':'))


def case_inputs(case):
    """The float32 inputs of a case read from its JSON: a dict as run_torchvision takes, plus grad_output."""
    def array(key, shape_key=None):
        value = case.get(key)
        if value is None:
            return None
        return np.asarray(value, dtype=np.float32).reshape(case['shapes'][shape_key or key])
    inputs = {key: array(key) for key in ('input', 'weight', 'bias', 'offset', 'mask')}
    return inputs, array('grad_output', 'output')


def worst_difference(ours, ref):
    """max |ours - ref| / (1 + |ref|) over the elements (0 for two empty arrays); NaN counts as infinite."""
    ours = np.asarray(ours, dtype=np.float64).ravel()
    ref = np.asarray(ref, dtype=np.float64).ravel()
    if ours.shape != ref.shape:
        return math.inf
    if ours.size == 0:
        return 0.0
    d = np.abs(ours - ref) / (1 + np.abs(ref))
    return math.inf if np.isnan(d).any() else float(d.max())
