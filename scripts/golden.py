#!/usr/bin/env python3
"""Writes test/golden/*.json: golden vectors from PyTorch for test/golden.test.ts.

Run with `npm run golden` (needs torch; written against torch 1.13). CI never runs this: the
tests read only the JSON. The output is deterministic: every case draws from its own generator,
seeded with the CRC-32 of the case's name, so adding or removing a case changes no other.

Numbers:
- float32 cases: inputs (logits, targets, p, q, weights, gradOutput arrays) are drawn in
  torch.float32 and written as the shortest decimal that reads back to the same float32 by the
  path a Float32Array takes (decimal -> double -> float32; checked here). Expectations are
  computed in float64 on those exact values, so the reference carries no float32 rounding of its
  own, and written with 9 significant digits (the tests' float32 tolerance is 1e-5). Every
  float32 case is also computed by torch in float32 and must meet that tolerance against the
  float64 reference: no case is shipped that PyTorch itself could not pass.
- float64 cases: inputs and expectations are written with repr (exact round trip).
- JSON has no infinities or NaN: they are written as the strings "Infinity", "-Infinity", "NaN".

Where xent decides differently from raw PyTorch (DESIGN.md), the expectation follows xent:
- dense targets: a term whose (smoothed target) * weight is 0 contributes 0 and no gradient,
  even where the logit is -inf (torch: 0 * -inf = NaN). Computed with a masked formula
  (torch.where) and autograd through it; checked equal to F.cross_entropy wherever that is
  finite.
- klDivergence: 0 * log(0 / q) = 0 for every q, including q = 0 (torch's kl_div gives NaN when
  target 0 meets input -inf). Computed as sum(xlogy(p, p) - xlogy(p, q)); checked equal to
  F.kl_div wherever that is finite.
- mean over zero counted rows (xent: 0, torch: NaN) is not generated; the front's tests own it.
Sparse label smoothing with ignore_index and weights under 'mean': torch 1.13 matches DESIGN.md's
formula; every sparse case also evaluates that formula in torch ops and asserts the agreement
(loss and gradient), so a torch that differs stops this script.

The training extras go to test/golden/extras/ (read by test/golden-extras.test.ts), written in
torch ops and differentiated by autograd: z-loss with torch.logsumexp (Liger-Kernel's
definition: z·lse² per counted row, 'mean' over the counted rows), softcap with torch.tanh,
the multi-class focal loss from log_softmax, torchvision's sigmoid_focal_loss transcribed (it
is not installed here), and the per-row statistics with torch.argmax.
"""

import json
import math
import os
import sys
import zlib

try:
    import torch
except ImportError:
    # `python3` may be a pyenv or venv interpreter without torch; Debian's python3-torch lives
    # under the system interpreter.
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != '/usr/bin/python3':
        os.execv('/usr/bin/python3', ['/usr/bin/python3', *sys.argv])
    raise
import numpy as np
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'golden')

F32, F64 = torch.float32, torch.float64
DTYPES = {'float32': F32, 'float64': F64}
LN2 = math.log(2.0)

# The tests' tolerances (test/golden-helpers.ts holds the same numbers).
F32_LOSS_REL = 1e-5            # |got - want| <= 1e-5 * max(1, |want|)
F32_GRAD_ABS, F32_GRAD_REL = 1e-6, 1e-5


# ---------------------------------------------------------------- encoding

def nonfinite(v):
    if math.isnan(v):
        return 'NaN'
    return 'Infinity' if v > 0 else '-Infinity'


def short_f32(v):
    """The shortest decimal whose double rounds to the float32 v (as Float32Array does)."""
    if not math.isfinite(v):
        return nonfinite(v)
    s = float(str(np.float32(v)))
    if np.float32(s) != np.float32(v):
        s = float(v)  # the float32's exact double: always reads back
    return s


def enc_input(t, dtype):
    vals = t.detach().reshape(-1).tolist()
    if dtype == 'float32':
        return [short_f32(v) for v in vals]
    return [v if math.isfinite(v) else nonfinite(v) for v in vals]


def enc_value(v, dtype):
    if not math.isfinite(v):
        return nonfinite(v)
    if v == 0:
        return 0.0  # no -0.0 in the files: the sign of a zero loss or gradient is not part of the contract
    if dtype == 'float32':
        return float('%.9g' % v)
    return v


def enc_output(t, dtype):
    if not t.is_floating_point():
        return t.tolist()
    if t.dim() == 0:
        return enc_value(t.item(), dtype)
    return [enc_value(v, dtype) for v in t.detach().reshape(-1).tolist()]


# ---------------------------------------------------------------- inputs

def rng(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def randn(g, shape, dt, scale=1.0):
    return torch.randn(shape, generator=g, dtype=dt) * scale


def rand(g, shape, dt, lo=0.0, hi=1.0):
    return torch.rand(shape, generator=g, dtype=dt) * (hi - lo) + lo


def labels_for(g, n, c):
    return torch.randint(0, c, (n,), generator=g)


def softmax_rows(g, n, c, dt, scale=1.5):
    return torch.softmax(randn(g, (n, c), dt, scale), -1)


# ---------------------------------------------------------------- references

def tensor_opt(v, dt):
    return None if v is None else torch.tensor(v, dtype=dt)


def upstream(loss, g, dt):
    if g is None:
        return torch.ones_like(loss)
    if isinstance(g, torch.Tensor):
        return g.to(dt).reshape(loss.shape)
    return torch.full_like(loss, g)


def upstream_of(case):
    """The case's gradOutput: an array (tensor), a number, or None for the default 1."""
    return case['_t'].get('gradOutput', case['_g'])


def design_sparse(x, y, w, ii, eps, reduction):
    """DESIGN.md's formula, written out: [(1-e) sum w[y](-log p_y) + (e/C) sum_n sum_c w_c(-log p_c)] / sum w[y]."""
    c = x.shape[1]
    lp = x.log_softmax(-1)
    keep = y != ii
    ys = torch.where(keep, y, torch.zeros_like(y))
    wv = torch.ones(c, dtype=x.dtype) if w is None else w
    row = (1 - eps) * wv[ys] * -lp.gather(1, ys[:, None])[:, 0]
    if eps > 0:
        row = row + eps / c * -(lp * wv).sum(-1)
    row = torch.where(keep, row, torch.zeros_like(row))
    if reduction == 'none':
        return row
    if reduction == 'sum':
        return row.sum()
    return row.sum() / torch.where(keep, wv[ys], torch.zeros_like(wv[ys])).sum()


def run_sparse(case, dt):
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    w = t['weight'].to(dt) if 'weight' in t else None
    red = o.get('reduction', 'mean')
    ii = o.get('ignoreIndex', -100)
    eps = o.get('labelSmoothing', 0.0)
    loss = F.cross_entropy(x, t['labels'], weight=w, ignore_index=ii, reduction=red, label_smoothing=eps)
    loss.backward(upstream(loss, upstream_of(case), dt))
    if dt == F64:
        x2 = t['logits'].to(dt).clone().requires_grad_()
        d = design_sparse(x2, t['labels'], w, ii, eps, red)
        d.backward(upstream(d, upstream_of(case), dt))
        assert torch.allclose(loss, d, rtol=1e-12, atol=1e-12), (case['name'], loss, d)
        assert torch.allclose(x.grad, x2.grad, rtol=1e-12, atol=1e-13), case['name']
    return {'loss': loss.detach(), 'grad': x.grad}


def run_dense(case, dt):
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    tg = t['targets'].to(dt)
    w = t['weight'].to(dt) if 'weight' in t else None
    red = o.get('reduction', 'mean')
    eps = o.get('labelSmoothing', 0.0)
    c = x.shape[1]
    lp = x.log_softmax(-1)
    wt = tg * (1 - eps) + eps / c
    if w is not None:
        wt = wt * w
    # 0 * log 0 = 0: a zero-weight term neither costs nor pulls (torch would give NaN at -inf).
    term = torch.where(wt == 0, torch.zeros_like(lp), wt * lp)
    row = -term.sum(-1)
    loss = row if red == 'none' else row.sum() if red == 'sum' else row.sum() / x.shape[0]
    loss.backward(upstream(loss, upstream_of(case), dt))
    if dt == F64 and torch.isfinite(t['logits']).all():
        ref = F.cross_entropy(t['logits'].to(dt), tg, weight=w, reduction=red, label_smoothing=eps)
        assert torch.allclose(loss, ref, rtol=1e-12, atol=1e-12), (case['name'], loss, ref)
    return {'loss': loss.detach(), 'grad': x.grad}


def run_sigmoid(case, dt):
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    w = t['weight'].to(dt) if 'weight' in t else None
    if w is not None and w.numel() == x.numel():
        w = w.reshape(x.shape)
    pw = t['posWeight'].to(dt) if 'posWeight' in t else None
    if pw is None and 'posWeight' in o:
        pw = torch.tensor(o['posWeight'], dtype=dt)
    red = o.get('reduction', 'mean')
    loss = F.binary_cross_entropy_with_logits(x, t['targets'].to(dt), weight=w, reduction=red, pos_weight=pw)
    loss.backward(upstream(loss, upstream_of(case), dt))
    return {'loss': loss.detach().reshape(-1) if red == 'none' else loss.detach(), 'grad': x.grad}


def prob_rows(case, dt):
    t, m = case['_t'], case['method']
    p = t['p'].to(dt)
    if m == 'entropy':
        return -torch.xlogy(p, p).sum(-1)
    q = t['q'].to(dt)
    if m == 'crossEntropy':
        return -torch.xlogy(p, q).sum(-1)
    row = (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)
    if dt == F64:
        ref = F.kl_div(q.log(), p, reduction='none').sum(-1)
        ok = torch.isfinite(ref)
        assert torch.allclose(row[ok], ref[ok], rtol=1e-12, atol=1e-14), case['name']
    return row


def run_prob(case, dt):
    o = case['opts']
    row = prob_rows(case, dt)
    if o.get('base', 'e') == 2:
        row = row / LN2
    red = o.get('reduction', 'mean')
    loss = row if red == 'none' else row.sum() if red == 'sum' else row.sum() / row.shape[0]
    return {'loss': loss}


def run_rowwise(case, dt):
    x = case['_t']['logits'].to(dt)
    out = x.softmax(-1) if case['method'] == 'softmax' else x.log_softmax(-1)
    return {'out': out.reshape(-1)}


# ---------------------------------------------------------------- training extras

def capped(x, o):
    """c·tanh(x/c) for options with softcap c, else x itself."""
    cap = o.get('softcap')
    return x if cap is None else cap * torch.tanh(x / cap)


def z_term(lse, keep, z, red):
    """Liger-Kernel's z-loss: z·lse² per counted row, not weighted; 'mean' over counted rows."""
    row = torch.where(keep, z * lse * lse, torch.zeros_like(lse))
    if red == 'none':
        return row
    if red == 'sum':
        return row.sum()
    return row.sum() / keep.sum()


def row_stats(x_raw, v, y, keep):
    """lse (NaN where ignored), torch.argmax of the raw logits (-1 where ignored), correctness,
    accuracy and perplexity = exp(mean over counted rows of lse − v_y)."""
    lse = torch.logsumexp(v, -1).detach()
    pred = torch.where(keep, torch.argmax(x_raw, -1), torch.full_like(y, -1))
    correct = (keep & (pred == y)).to(torch.int64)
    ys = torch.where(keep, y, torch.zeros_like(y))
    nll = (lse - v.detach().gather(1, ys[:, None])[:, 0])[keep]
    counted = int(keep.sum())
    return {
        'lse': torch.where(keep, lse, torch.full_like(lse, math.nan)),
        'predicted': pred,
        'correct': correct,
        'accuracy': torch.tensor(correct.sum().item() / counted, dtype=torch.float64),
        'perplexity': nll.mean().exp(),
    }


def run_sparse_extra(case, dt):
    """F.cross_entropy on the (capped) logits, plus the z-loss term; stats when asked."""
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    y = t['labels']
    w = t['weight'].to(dt) if 'weight' in t else None
    red = o.get('reduction', 'mean')
    ii = o.get('ignoreIndex', -100)
    v = capped(x, o)
    ce = F.cross_entropy(v, y, weight=w, ignore_index=ii, reduction=red, label_smoothing=o.get('labelSmoothing', 0.0))
    keep = y != ii
    zl = z_term(torch.logsumexp(v, -1), keep, o.get('zLoss', 0.0), red)
    loss = ce + zl
    loss.backward(upstream(loss, upstream_of(case), dt))
    out = {'loss': loss.detach(), 'grad': x.grad}
    if o.get('returnZLoss'):
        out['zLoss'] = zl.detach()
    if o.get('stats'):
        out.update(row_stats(t['logits'].to(dt), v, y, keep))
    return out


def run_dense_extra(case, dt):
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    w = t['weight'].to(dt) if 'weight' in t else None
    red = o.get('reduction', 'mean')
    v = capped(x, o)
    ce = F.cross_entropy(v, t['targets'].to(dt), weight=w, reduction=red, label_smoothing=o.get('labelSmoothing', 0.0))
    zl = z_term(torch.logsumexp(v, -1), torch.ones(x.shape[0], dtype=torch.bool), o.get('zLoss', 0.0), red)
    loss = ce + zl
    loss.backward(upstream(loss, upstream_of(case), dt))
    out = {'loss': loss.detach(), 'grad': x.grad}
    if o.get('returnZLoss'):
        out['zLoss'] = zl.detach()
    return out


def run_softmax_focal(case, dt):
    """-α_y·w[y]·(1 − p_y)^γ·log p_y per counted row; 'mean' over Σ w[y] (the count without weights)."""
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    y = t['labels']
    c = x.shape[1]
    ii = o.get('ignoreIndex', -100)
    red = o.get('reduction', 'mean')
    gamma = o.get('gamma', 2.0)
    keep = y != ii
    ys = torch.where(keep, y, torch.zeros_like(y))
    w = t['weight'].to(dt) if 'weight' in t else torch.ones(c, dtype=dt)
    if 'alpha' in t:
        alpha = t['alpha'].to(dt)
    else:
        alpha = torch.full((c,), float(o.get('alpha', 1.0)), dtype=dt)
    lp = x.log_softmax(-1).gather(1, ys[:, None])[:, 0]
    row = -alpha[ys] * w[ys] * (1 - lp.exp()) ** gamma * lp
    row = torch.where(keep, row, torch.zeros_like(row))
    if red == 'none':
        loss = row
    elif red == 'sum':
        loss = row.sum()
    else:
        loss = row.sum() / torch.where(keep, w[ys], torch.zeros_like(row)).sum()
    loss.backward(upstream(loss, upstream_of(case), dt))
    if dt == F64 and gamma == 0 and 'alpha' not in t and 'alpha' not in o:
        ref = F.cross_entropy(t['logits'].to(dt), y, weight=w, ignore_index=ii, reduction=red)
        assert torch.allclose(loss, ref, rtol=1e-12, atol=1e-12), case['name']
    return {'loss': loss.detach(), 'grad': x.grad}


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction='none'):
    """torchvision.ops.sigmoid_focal_loss (torchvision/ops/focal_loss.py, BSD-3-Clause), transcribed
    line for line: torchvision is not a dependency here."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction='none')
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == 'none':
        pass
    elif reduction == 'mean':
        loss = loss.mean()
    elif reduction == 'sum':
        loss = loss.sum()
    else:
        raise ValueError(reduction)
    return loss


def run_binary_xent(case, dt):
    t, o = case['_t'], case['opts']
    p = t['p'].to(dt).clone().requires_grad_()
    w = t['weight'].to(dt) if 'weight' in t else None
    if w is not None and w.numel() == p.numel():
        w = w.reshape(p.shape)
    red = o.get('reduction', 'mean')
    loss = F.binary_cross_entropy(p, t['targets'].to(dt), weight=w, reduction=red)
    loss.backward(upstream(loss, upstream_of(case), dt))
    return {'loss': loss.detach().reshape(-1) if red == 'none' else loss.detach(), 'grad': p.grad}


def run_sigmoid_focal(case, dt):
    """xent's defaults: gamma 2, alpha 0.25 (torchvision's), reduction 'mean' (torchvision: 'none')."""
    t, o = case['_t'], case['opts']
    x = t['logits'].to(dt).clone().requires_grad_()
    red = o.get('reduction', 'mean')
    loss = sigmoid_focal_loss(x, t['targets'].to(dt), alpha=o.get('alpha', 0.25), gamma=o.get('gamma', 2), reduction=red)
    loss.backward(upstream(loss, upstream_of(case), dt))
    return {'loss': loss.detach().reshape(-1) if red == 'none' else loss.detach(), 'grad': x.grad}


RUNNERS = {
    'sparse-extra': run_sparse_extra,
    'dense-extra': run_dense_extra,
    'softmaxFocalLoss': run_softmax_focal,
    'sigmoidFocalLoss': run_sigmoid_focal,
    'binaryCrossEntropy': run_binary_xent,
    'softmaxCrossEntropy': run_sparse,
    'softmaxCrossEntropyDense': run_dense,
    'sigmoidCrossEntropy': run_sigmoid,
    'crossEntropy': run_prob,
    'entropy': run_prob,
    'klDivergence': run_prob,
    'softmax': run_rowwise,
    'logSoftmax': run_rowwise,
}


# ---------------------------------------------------------------- float32 self-check

def f32_within(got, want, kind):
    got, want = got.double().reshape(-1), want.double().reshape(-1)
    same_nonfinite = (got == want) | (torch.isnan(got) & torch.isnan(want))
    fin = torch.isfinite(want)
    if kind == 'loss':
        tol = F32_LOSS_REL * torch.clamp(want.abs(), min=1.0)
    else:
        tol = F32_GRAD_ABS + F32_GRAD_REL * want.abs()
    ok = torch.where(fin, (got - want).abs() <= tol, same_nonfinite)
    return bool(ok.all()), float(torch.where(fin, (got - want).abs() - tol, torch.zeros_like(got)).max())


def runner(case):
    return RUNNERS[case.get('_r', case['method'])]


def check_f32(case, want):
    got = runner(case)(case, F32)
    for key, w in want.items():
        if not w.is_floating_point():
            assert torch.equal(got[key], w), f"{case['name']}: torch float32 {key} differs"
            continue
        kind = 'grad' if key == 'grad' or (key == 'out' and case['method'] == 'softmax') else 'loss'
        ok, excess = f32_within(got[key], w, kind)
        assert ok, f"{case['name']}: torch float32 {key} misses the float32 tolerance by {excess}"


# ---------------------------------------------------------------- cases

CASES = {name: [] for name in ('sparse', 'dense', 'sigmoid', 'prob', 'rowwise', 'examples')}
# The training extras' groups, written to test/golden/extras/.
EXTRA_GROUPS = ('zloss', 'softcap', 'focal', 'sigmoid-focal', 'stats')
CASES.update({name: [] for name in EXTRA_GROUPS})
# Losses whose test reads its own file, test/golden/losses/<group>.json.
LOSS_GROUPS = ('binary-cross-entropy',)
CASES.update({name: [] for name in LOSS_GROUPS})
ARRAY_OPTS = ('weight', 'posWeight', 'alpha')


def add(group, name, method, dtype, classes, tensors, opts=None, grad_output=None, **extra):
    """Records a case. tensors: logits / labels / targets / p / q, and the array options weight /
    posWeight / alpha / gradOutput; a builder may still edit them in place until finish() encodes
    them. extra `_r` names the runner when it is not the method's own."""
    case = {'name': name, 'method': method, 'dtype': dtype, 'classes': classes,
            '_t': tensors, 'opts': dict(opts or {}), '_g': grad_output, '_x': extra}
    if '_r' in extra:
        case['_r'] = extra['_r']
    CASES[group].append(case)


def finish(case):
    """Computes the expectation and encodes the case for JSON."""
    dtype, t = case['dtype'], case['_t']
    want = runner(case)(case, F64)
    if dtype == 'float32':
        check_f32(case, want)
    out = {k: case[k] for k in ('name', 'method', 'dtype', 'classes')}
    for key in ('logits', 'targets', 'p', 'q'):
        if key in t:
            out[key] = enc_input(t[key], dtype)
    if 'labels' in t:
        out['labels'] = t['labels'].tolist()
    opts = {'classes': case['classes'], **case['opts']}
    for key in ARRAY_OPTS:
        if key in t:
            opts[key] = enc_input(t[key], dtype)
    out['opts'] = opts
    if 'gradOutput' in t:
        out['gradOutput'] = enc_input(t['gradOutput'], dtype)
    elif case['_g'] is not None:
        out['gradOutput'] = case['_g']
    out.update({k: v for k, v in case['_x'].items() if k != '_r'})
    out['want'] = {k: enc_output(v, dtype) for k, v in want.items()}
    return out


def tag(dtype):
    return 'f32' if dtype == 'float32' else 'f64'


REDUCTIONS = ('mean', 'sum', 'none')


def sparse_cases(dtype):
    dt = DTYPES[dtype]
    d = tag(dtype)

    def case(name, n, c, opts=None, scale=2.0, weight=None, ignore=None, grad_output=None, **extra):
        name = f'sparse/{d}/C{c}/{name}'
        g = rng(name)
        x = randn(g, (n, c), dt, scale)
        y = labels_for(g, n, c)
        tensors = {'logits': x, 'labels': y}
        if weight == 'rand':
            w = rand(g, (c,), dt, 0.1, 2.0)
            if c > 3:
                w[c // 2] = 0.0  # a zero-weight class: rows of it count nothing, not even in the mean
            tensors['weight'] = w
        if ignore is not None:
            value, rows = ignore
            for r in rows:
                y[r] = value
        if isinstance(grad_output, str) and grad_output == 'rows':
            tensors['gradOutput'] = rand(g, (n,), dt, -2.0, 3.0)
            grad_output = None
        add('sparse', name, 'softmaxCrossEntropy', dtype, c, tensors, opts, grad_output, **extra)
        return tensors

    for c in (1, 3, 5, 17):
        for red in REDUCTIONS:
            case(red, 6, c, {'reduction': red})
    for red in REDUCTIONS:
        case(f'{red}/weight', 8, 5, {'reduction': red}, weight='rand')
        case(f'{red}/ignore-100', 8, 5, {'reduction': red}, ignore=(-100, (1, 6)))
        case(f'{red}/weight/ignore-100', 8, 5, {'reduction': red}, weight='rand', ignore=(-100, (0, 5)))
    case('mean/ignoreIndex3', 8, 5, {'reduction': 'mean', 'ignoreIndex': 3}, ignore=(3, (2, 4, 7)))
    case('none/ignoreIndex3', 8, 5, {'reduction': 'none', 'ignoreIndex': 3}, ignore=(3, (2, 4, 7)))
    case('mean/weight/ignoreIndex3', 8, 5, {'reduction': 'mean', 'ignoreIndex': 3}, weight='rand', ignore=(3, (1, 4)))
    case('sum/ignoreIndex0', 8, 5, {'reduction': 'sum', 'ignoreIndex': 0}, ignore=(0, (3,)))
    for eps in (0.1, 0.3):
        for red in REDUCTIONS:
            o = {'reduction': red, 'labelSmoothing': eps}
            case(f'{red}/ls{eps}', 7, 5, o)
            case(f'{red}/ls{eps}/weight', 7, 5, o, weight='rand')
            case(f'{red}/ls{eps}/ignore-100', 7, 5, o, ignore=(-100, (2, 3)))
            case(f'{red}/ls{eps}/weight/ignore-100', 7, 5, o, weight='rand', ignore=(-100, (0, 4)))
    case('mean/ls0.1/weight/ignoreIndex3', 7, 5, {'labelSmoothing': 0.1, 'ignoreIndex': 3}, weight='rand', ignore=(3, (1, 2)))
    case('mean/ls0.1/C17', 5, 17, {'labelSmoothing': 0.1})
    case('mean/gradOutput2.5', 6, 5, {'reduction': 'mean'}, grad_output=2.5)
    case('sum/gradOutput2.5', 6, 5, {'reduction': 'sum'}, grad_output=2.5)
    case('none/gradOutput2.5', 6, 5, {'reduction': 'none'}, grad_output=2.5)
    case('none/gradOutputRows', 6, 5, {'reduction': 'none'}, grad_output='rows')
    case('none/ls0.3/weight/ignore-100/gradOutputRows', 6, 5, {'reduction': 'none', 'labelSmoothing': 0.3},
         weight='rand', ignore=(-100, (2,)), grad_output='rows')
    case('mean/ls0.1/weight/ignore-100/gradOutput2.5', 6, 5, {'labelSmoothing': 0.1},
         weight='rand', ignore=(-100, (4,)), grad_output=2.5)
    case('mean/spread50', 6, 7, {'reduction': 'mean'}, scale=50.0)
    # Extreme logits: +-1e4 in one row; the label sits on -1e4 (loss 2e4), on +1e4, and on 0.
    t = case('none/extreme', 4, 5, {'reduction': 'none'})
    t['logits'][1] = torch.tensor([1e4, -1e4, 0.0, 3.0, -2.0], dtype=dt)
    t['logits'][2] = torch.tensor([-1e4, 1e4, 5.0, 1e4, -1e4], dtype=dt)
    t['labels'][:] = torch.tensor([0, 1, 3, 2])
    t = case('mean/extreme/weight', 4, 5, {'reduction': 'mean'}, weight='rand')
    t['logits'][0] = torch.tensor([1e4, -1e4, 0.0, 3.0, -2.0], dtype=dt)
    t['logits'][3] = torch.tensor([-1e4, -1e4, -1e4, -1e4, 1e4], dtype=dt)
    t['labels'][:] = torch.tensor([0, 1, 3, 4])
    # -inf on non-target classes: finite loss, gradient exactly 0 there.
    for red, w in (('none', None), ('mean', 'rand')):
        t = case(f'{red}/neg-inf-mask' + ('/weight' if w else ''), 5, 6, {'reduction': red}, weight=w, grad_output=1.5 if red == 'mean' else None)
        y = t['labels']
        for r in range(5):
            for k in range(6):
                if k != y[r] and (r + k) % 3 == 0:
                    t['logits'][r, k] = -math.inf
        if w:
            t['weight'][3] = 0.5  # keep every labelled class weighted
            t['weight'][y[0]] = 1.0
    if dtype == 'float32':
        case('mean/labels-number-array', 5, 4, {'reduction': 'mean'}, labelsAs='array')
        case('mean/wide', 3, 1000, {'reduction': 'mean'})
        case('none/wide/ls0.1/weight', 2, 4099, {'reduction': 'none', 'labelSmoothing': 0.1}, weight='rand')
    else:
        case('sum/wide', 2, 1000, {'reduction': 'sum'})
        case('mean/wide/ls0.1', 1, 4099, {'reduction': 'mean', 'labelSmoothing': 0.1})


def dense_cases(dtype):
    dt = DTYPES[dtype]
    d = tag(dtype)

    def case(name, n, c, opts=None, scale=2.0, weight=False, targets='soft', grad_output=None):
        name = f'dense/{d}/C{c}/{name}'
        g = rng(name)
        x = randn(g, (n, c), dt, scale)
        if targets == 'soft':
            tg = softmax_rows(g, n, c, dt)
        elif targets == 'onehot':
            tg = F.one_hot(labels_for(g, n, c), c).to(dt)
        else:  # rows that do not sum to 1 (torch takes them as given)
            tg = rand(g, (n, c), dt, 0.0, 0.8)
        tensors = {'logits': x, 'targets': tg}
        if weight:
            tensors['weight'] = rand(g, (c,), dt, 0.1, 2.0)
        if isinstance(grad_output, str) and grad_output == 'rows':
            tensors['gradOutput'] = rand(g, (n,), dt, -2.0, 3.0)
            grad_output = None
        add('dense', name, 'softmaxCrossEntropyDense', dtype, c, tensors, opts, grad_output)
        return tensors

    for c in (1, 3, 5, 17):
        for red in REDUCTIONS:
            case(red, 5, c, {'reduction': red})
    for red in REDUCTIONS:
        case(f'{red}/weight', 6, 5, {'reduction': red}, weight=True)
    case('mean/onehot', 6, 5, {'reduction': 'mean'}, targets='onehot')
    case('none/onehot', 6, 5, {'reduction': 'none'}, targets='onehot')
    case('mean/unnormalized', 5, 5, {'reduction': 'mean'}, targets='raw')
    case('none/unnormalized/weight', 5, 5, {'reduction': 'none'}, targets='raw', weight=True)
    for eps in (0.1, 0.3):
        for red in REDUCTIONS:
            o = {'reduction': red, 'labelSmoothing': eps}
            case(f'{red}/ls{eps}', 6, 5, o)
            case(f'{red}/ls{eps}/weight', 6, 5, o, weight=True)
    case('mean/ls0.1/onehot', 6, 5, {'labelSmoothing': 0.1}, targets='onehot')
    case('mean/gradOutput2.5', 5, 5, {'reduction': 'mean'}, grad_output=2.5)
    case('sum/gradOutput2.5', 5, 5, {'reduction': 'sum'}, grad_output=2.5)
    case('none/gradOutput2.5', 5, 5, {'reduction': 'none'}, grad_output=2.5)
    case('none/gradOutputRows', 5, 5, {'reduction': 'none'}, grad_output='rows')
    case('none/ls0.3/weight/gradOutputRows', 5, 5, {'reduction': 'none', 'labelSmoothing': 0.3}, weight=True, grad_output='rows')
    case('mean/spread50', 5, 7, {'reduction': 'mean'}, scale=50.0)
    t = case('none/extreme', 4, 5, {'reduction': 'none'})
    t['logits'][1] = torch.tensor([1e4, -1e4, 0.0, 3.0, -2.0], dtype=dt)
    t['logits'][2] = torch.tensor([-1e4, 1e4, 5.0, 1e4, -1e4], dtype=dt)
    # -inf where the target is 0 (no smoothing): 0 * log 0 = 0.
    for red in ('none', 'mean'):
        t = case(f'{red}/neg-inf-mask/onehot', 5, 6, {'reduction': red}, targets='onehot', grad_output=2.5 if red == 'mean' else None)
        for r in range(5):
            for k in range(6):
                if t['targets'][r, k] == 0 and (r + k) % 3 == 0:
                    t['logits'][r, k] = -math.inf
    t = case('sum/neg-inf-mask/soft', 4, 6, {'reduction': 'sum'})
    t['targets'][:, 2] = 0.0
    t['targets'][1, 4] = 0.0
    t['logits'][:, 2] = -math.inf
    t['logits'][1, 4] = -math.inf
    # With smoothing every target is > 0; a zero class weight is what masks the -inf class.
    t = case('none/neg-inf-mask/ls0.1/weight0', 4, 6, {'reduction': 'none', 'labelSmoothing': 0.1}, weight=True)
    t['weight'][1] = 0.0
    t['targets'][:, 1] = 0.0
    t['logits'][:, 1] = -math.inf
    if dtype == 'float32':
        case('mean/wide', 2, 1000, {'reduction': 'mean'})
        case('none/wide/ls0.1/weight', 1, 4099, {'reduction': 'none', 'labelSmoothing': 0.1}, weight=True)
    else:
        case('sum/wide', 1, 1000, {'reduction': 'sum'})


def sigmoid_cases(dtype):
    dt = DTYPES[dtype]
    d = tag(dtype)

    def case(name, n, c, opts=None, scale=2.0, targets='binary', weight=None, pos=None, grad_output=None):
        name = f'sigmoid/{d}/C{c}/{name}'
        g = rng(name)
        x = randn(g, (n, c), dt, scale)
        if targets == 'binary':
            tg = (rand(g, (n, c), dt) < 0.4).to(dt)
        else:
            tg = rand(g, (n, c), dt)
        tensors = {'logits': x, 'targets': tg}
        if weight == 'class':
            tensors['weight'] = rand(g, (c,), dt, 0.0, 2.0)
        elif weight == 'element':
            tensors['weight'] = rand(g, (n * c,), dt, 0.0, 2.0)
        opts = dict(opts or {})
        if pos == 'class':
            tensors['posWeight'] = rand(g, (c,), dt, 0.2, 4.0)
        elif pos is not None:
            opts['posWeight'] = pos
        if isinstance(grad_output, str) and grad_output == 'elements':
            tensors['gradOutput'] = rand(g, (n * c,), dt, -2.0, 3.0)
            grad_output = None
        add('sigmoid', name, 'sigmoidCrossEntropy', dtype, c, tensors, opts, grad_output)
        return tensors

    for c in (1, 3, 5, 17):
        for red in REDUCTIONS:
            case(red, 4, c, {'reduction': red})
    for red in REDUCTIONS:
        o = {'reduction': red}
        case(f'{red}/soft', 4, 5, o, targets='soft')
        case(f'{red}/weight-class', 4, 5, o, targets='soft', weight='class')
        case(f'{red}/weight-element', 4, 5, o, targets='soft', weight='element')
        case(f'{red}/posWeight2.5', 4, 5, o, targets='soft', pos=2.5)
        case(f'{red}/posWeight-class', 4, 5, o, targets='soft', pos='class')
    case('mean/weight-class/posWeight-class', 4, 5, {'reduction': 'mean'}, targets='soft', weight='class', pos='class')
    case('none/weight-element/posWeight0.75', 4, 5, {'reduction': 'none'}, weight='element', pos=0.75)
    case('mean/gradOutput2.5', 4, 5, {'reduction': 'mean'}, grad_output=2.5)
    case('sum/gradOutput2.5', 4, 5, {'reduction': 'sum'}, targets='soft', grad_output=2.5)
    case('none/gradOutput2.5', 4, 5, {'reduction': 'none'}, grad_output=2.5)
    case('none/gradOutputElements', 4, 5, {'reduction': 'none'}, targets='soft', grad_output='elements')
    case('none/weight-element/posWeight-class/gradOutputElements', 4, 5, {'reduction': 'none'},
         targets='soft', weight='element', pos='class', grad_output='elements')
    case('mean/spread50', 4, 7, {'reduction': 'mean'}, targets='soft', scale=50.0)
    t = case('none/extreme', 3, 6, {'reduction': 'none'}, targets='soft')
    t['logits'][0] = torch.tensor([1e4, -1e4, 100.0, -100.0, 30.0, -30.0], dtype=dt)
    t['targets'][0] = torch.tensor([1.0, 0.0, 0.25, 1.0, 0.0, 0.5], dtype=dt)
    t = case('mean/extreme/posWeight-class', 3, 6, {'reduction': 'mean'}, targets='soft', pos='class')
    t['logits'][1] = torch.tensor([-1e4, 1e4, -100.0, 100.0, -1e4, 1e4], dtype=dt)
    if dtype == 'float32':
        case('mean/wide', 2, 1000, {'reduction': 'mean'}, targets='soft')
        case('none/wide/posWeight-class', 1, 4099, {'reduction': 'none'}, pos='class')
    else:
        case('sum/wide/weight-class', 1, 1000, {'reduction': 'sum'}, weight='class')


def prob_cases(dtype):
    dt = DTYPES[dtype]
    d = tag(dtype)

    def case(method, name, n, c, opts=None, zeros=False):
        name = f'{method}/{d}/C{c}/{name}'
        g = rng(name)
        p = softmax_rows(g, n, c, dt)
        q = softmax_rows(g, n, c, dt, 1.0)
        if zeros and c > 1:
            # Zeros in p (0 * log anything = 0); keep one row that is exactly one-hot.
            for r in range(n):
                for k in range(c):
                    if (r * 7 + k * 3) % 4 == 0:
                        p[r, k] = 0.0
            p = p / p.sum(-1, keepdim=True)
            p[0] = 0.0
            p[0, c - 1] = 1.0
        tensors = {'p': p} if method == 'entropy' else {'p': p, 'q': q}
        add('prob', name, method, dtype, c, tensors, opts)
        return tensors

    for method in ('crossEntropy', 'entropy', 'klDivergence'):
        for c in (1, 3, 5, 17):
            for red in REDUCTIONS:
                case(method, red, 4, c, {'reduction': red})
        for red in REDUCTIONS:
            case(method, f'{red}/base2', 4, 5, {'reduction': red, 'base': 2})
        case(method, 'mean/base-e', 4, 5, {'reduction': 'mean', 'base': 'e'})
        case(method, 'none/zeros', 5, 6, {'reduction': 'none'}, zeros=True)
        case(method, 'mean/zeros/base2', 5, 6, {'reduction': 'mean', 'base': 2}, zeros=True)
        if dtype == 'float32':
            case(method, 'mean/wide', 2, 1000, {'reduction': 'mean'})
    if dtype == 'float32':
        case('crossEntropy', 'none/wide/base2', 1, 4099, {'reduction': 'none', 'base': 2})
    # q = 0 where p > 0: an infinite cost (the row's loss is +inf). KL with p = q = 0 stays 0.
    for method in ('crossEntropy', 'klDivergence'):
        t = case(method, 'none/q-zero', 3, 4, {'reduction': 'none'})
        t['p'][0] = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=dt)
        t['q'][0] = torch.tensor([0.5, 0.0, 0.5, 0.0], dtype=dt)
        t['p'][1] = torch.tensor([0.25, 0.0, 0.75, 0.0], dtype=dt)
        t['q'][1] = torch.tensor([0.5, 0.0, 0.5, 0.0], dtype=dt)


def rowwise_cases(dtype):
    dt = DTYPES[dtype]
    d = tag(dtype)

    def case(method, name, n, c, scale=2.0):
        name = f'{method}/{d}/C{c}/{name}'
        x = randn(rng(name), (n, c), dt, scale)
        add('rowwise', name, method, dtype, c, {'logits': x})
        return x

    for method in ('softmax', 'logSoftmax'):
        for c in (1, 3, 5, 17):
            case(method, 'rows', 4, c)
        case(method, 'wide', 2, 1000)
        case(method, 'spread50', 4, 7, scale=50.0)
        x = case(method, 'extreme', 3, 5)
        x[0] = torch.tensor([1e4, -1e4, 0.0, 3.0, 1e4], dtype=dt)
        x[1] = torch.tensor([-1e4, -1e4, -1e4, -1e4, -1e4], dtype=dt)
        x = case(method, 'neg-inf-mask', 3, 6)
        x[0, 1] = x[0, 4] = -math.inf
        x[2, 0] = -math.inf
    if dtype == 'float32':
        case('softmax', 'wide', 1, 4099)
    else:
        case('logSoftmax', 'wide', 1, 4099)


def binary_xent_cases(dtype):
    """F.binary_cross_entropy on probabilities, with p = 0 and 1 exactly (the clamped logs)."""
    dt = DTYPES[dtype]
    d = tag(dtype)

    def case(name, n, c, opts=None, targets='binary', weight=None, grad_output=None, edges=True):
        name = f'binary-cross-entropy/{d}/C{c}/{name}'
        g = rng(name)
        p = rand(g, (n, c), dt, 0.02, 0.98)
        if edges:
            # p of exactly 0 and 1, with matching and mismatching targets: losses of 0 and of 100.
            p.view(-1)[:4] = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=dt)[: p.numel()]
        tg = (rand(g, (n, c), dt) < 0.4).to(dt) if targets == 'binary' else rand(g, (n, c), dt)
        if edges and targets == 'binary':
            tg.view(-1)[:4] = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=dt)[: tg.numel()]
        tensors = {'p': p, 'targets': tg}
        if weight == 'class':
            tensors['weight'] = rand(g, (c,), dt, 0.0, 2.0)
        elif weight == 'element':
            tensors['weight'] = rand(g, (n * c,), dt, 0.0, 2.0)
        if grad_output == 'elements':
            tensors['gradOutput'] = rand(g, (n * c,), dt, -2.0, 3.0)
            grad_output = None
        add('binary-cross-entropy', name, 'binaryCrossEntropy', dtype, c, tensors, opts, grad_output)

    for c in (1, 3, 5, 17):
        for red in REDUCTIONS:
            case(red, 4, c, {'reduction': red}, edges=c > 1)
    for red in REDUCTIONS:
        o = {'reduction': red}
        case(f'{red}/soft', 4, 5, o, targets='soft')
        case(f'{red}/weight-class', 4, 5, o, targets='soft', weight='class')
        case(f'{red}/weight-element', 4, 5, o, weight='element')
    case('mean/gradOutput2.5', 4, 5, {'reduction': 'mean'}, grad_output=2.5)
    case('sum/gradOutput2.5', 4, 5, {'reduction': 'sum'}, targets='soft', grad_output=2.5)
    case('none/gradOutputElements', 4, 5, {'reduction': 'none'}, targets='soft', weight='class', grad_output='elements')
    if dtype == 'float32':
        case('mean/wide', 2, 1000, {'reduction': 'mean'}, targets='soft')
    else:
        case('sum/wide/weight-element', 1, 1000, {'reduction': 'sum'}, weight='element')


def example_cases(dtype):
    """The worked examples of DESIGN.md; `design` is the value printed there (2 decimals)."""
    dt = DTYPES[dtype]
    d = tag(dtype)
    t = lambda v: torch.tensor(v, dtype=dt)
    onehot = t([[0.0, 1.0, 0.0]])
    add('examples', f'example/{d}/good-prediction', 'crossEntropy', dtype, 3,
        {'p': onehot, 'q': t([[0.1, 0.8, 0.1]])}, {'reduction': 'mean'}, design=0.22)
    add('examples', f'example/{d}/bad-prediction', 'crossEntropy', dtype, 3,
        {'p': onehot, 'q': t([[0.7, 0.2, 0.1]])}, {'reduction': 'mean'}, design=1.61)
    add('examples', f'example/{d}/both-predictions', 'crossEntropy', dtype, 3,
        {'p': t([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]), 'q': t([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])}, {'reduction': 'none'})
    add('examples', f'example/{d}/logits-good-prediction', 'softmaxCrossEntropy', dtype, 3,
        {'logits': t([[0.1, 0.8, 0.1]]).log(), 'labels': torch.tensor([1])}, {'reduction': 'mean'}, design=0.22)
    add('examples', f'example/{d}/logits-bad-prediction', 'softmaxCrossEntropy', dtype, 3,
        {'logits': t([[0.7, 0.2, 0.1]]).log(), 'labels': torch.tensor([1])}, {'reduction': 'mean'}, design=1.61)
    add('examples', f'example/{d}/entropy-75-25-bits', 'entropy', dtype, 2,
        {'p': t([[0.75, 0.25]])}, {'reduction': 'mean', 'base': 2}, design=0.81)
    add('examples', f'example/{d}/entropy-50-50-bits', 'entropy', dtype, 2,
        {'p': t([[0.5, 0.5]])}, {'reduction': 'mean', 'base': 2}, design=1.0)
    add('examples', f'example/{d}/entropy-100-0-bits', 'entropy', dtype, 2,
        {'p': t([[1.0, 0.0]])}, {'reduction': 'mean', 'base': 2}, design=0.0)
    add('examples', f'example/{d}/cat-bits', 'crossEntropy', dtype, 4,
        {'p': t([[1.0, 0.0, 0.0, 0.0]]), 'q': t([[0.4, 0.3, 0.1, 0.1]])}, {'reduction': 'mean', 'base': 2}, design=1.32)
    add('examples', f'example/{d}/cat-kl-bits', 'klDivergence', dtype, 4,
        {'p': t([[1.0, 0.0, 0.0, 0.0]]), 'q': t([[0.4, 0.3, 0.1, 0.1]])}, {'reduction': 'mean', 'base': 2}, design=1.32)


def extra_cases(dtype):
    """zLoss, softcap, the focal losses and the statistics."""
    dt = DTYPES[dtype]
    d = tag(dtype)

    def sparse(group, name, n, c, opts, scale=2.0, weight=False, ignore=(), grad_output=None):
        name = f'{group}/{d}/C{c}/{name}'
        g = rng(name)
        x = randn(g, (n, c), dt, scale)
        y = labels_for(g, n, c)
        for r in ignore:
            y[r] = opts.get('ignoreIndex', -100)
        tensors = {'logits': x, 'labels': y}
        if weight:
            tensors['weight'] = rand(g, (c,), dt, 0.1, 2.0)
        if grad_output == 'rows':
            tensors['gradOutput'] = rand(g, (n,), dt, -2.0, 3.0)
            grad_output = None
        add(group, name, 'softmaxCrossEntropy', dtype, c, tensors, opts, grad_output, _r='sparse-extra')
        return tensors

    def dense(group, name, n, c, opts, scale=2.0, weight=False):
        name = f'{group}/{d}/C{c}/{name}'
        g = rng(name)
        tensors = {'logits': randn(g, (n, c), dt, scale), 'targets': softmax_rows(g, n, c, dt)}
        if weight:
            tensors['weight'] = rand(g, (c,), dt, 0.1, 2.0)
        add(group, name, 'softmaxCrossEntropyDense', dtype, c, tensors, opts, _r='dense-extra')

    # z-loss (PaLM's 1e-4, and larger so the term is visible in float32)
    for red in REDUCTIONS:
        sparse('zloss', f'{red}/z1e-4', 8, 5, {'reduction': red, 'zLoss': 1e-4})
        sparse('zloss', f'{red}/z0.01/weight/ignore-100/returnZLoss', 8, 5,
               {'reduction': red, 'zLoss': 0.01, 'returnZLoss': True}, weight=True, ignore=(1, 6))
        dense('zloss', f'{red}/z0.01/returnZLoss', 6, 5, {'reduction': red, 'zLoss': 0.01, 'returnZLoss': True})
    sparse('zloss', 'mean/z0.1/ls0.1/weight/ignore-100', 7, 5, {'zLoss': 0.1, 'labelSmoothing': 0.1}, weight=True, ignore=(3,))
    sparse('zloss', 'mean/z0.01/gradOutput2.5', 6, 5, {'zLoss': 0.01}, grad_output=2.5)
    sparse('zloss', 'none/z0.01/gradOutputRows', 6, 5, {'reduction': 'none', 'zLoss': 0.01}, ignore=(2,), grad_output='rows')
    sparse('zloss', 'mean/z0.01/ignoreIndex0', 6, 5, {'zLoss': 0.01, 'ignoreIndex': 0}, ignore=(4,))
    sparse('zloss', 'mean/returnZLoss-without-z', 5, 4, {'returnZLoss': True})
    sparse('zloss', 'mean/z0.01/spread50', 6, 7, {'zLoss': 0.01}, scale=50.0)
    dense('zloss', 'mean/z0.1/ls0.1/weight', 6, 5, {'zLoss': 0.1, 'labelSmoothing': 0.1}, weight=True)
    if dtype == 'float32':
        sparse('zloss', 'mean/z1e-4/wide', 3, 1000, {'zLoss': 1e-4})
    else:
        sparse('zloss', 'sum/z1e-4/wide', 2, 1000, {'reduction': 'sum', 'zLoss': 1e-4})

    # softcap (Gemma 2 caps the final logits at 30); logits spread enough for the cap to bite
    for red in REDUCTIONS:
        sparse('softcap', f'{red}/cap30', 8, 5, {'reduction': red, 'softcap': 30.0}, scale=25.0)
        sparse('softcap', f'{red}/cap5/weight/ignore-100/ls0.1', 8, 5,
               {'reduction': red, 'softcap': 5.0, 'labelSmoothing': 0.1}, scale=4.0, weight=True, ignore=(0, 5))
        dense('softcap', f'{red}/cap5/weight', 6, 5, {'reduction': red, 'softcap': 5.0}, scale=4.0, weight=True)
    sparse('softcap', 'mean/cap2/z0.01/returnZLoss', 6, 5, {'softcap': 2.0, 'zLoss': 0.01, 'returnZLoss': True}, scale=3.0)
    sparse('softcap', 'none/cap1/gradOutputRows', 6, 5, {'reduction': 'none', 'softcap': 1.0}, grad_output='rows')
    sparse('softcap', 'mean/cap30/weight/gradOutput2.5', 6, 5, {'softcap': 30.0}, scale=40.0, weight=True, grad_output=2.5)
    dense('softcap', 'mean/cap3/ls0.3/z0.01', 5, 5, {'softcap': 3.0, 'labelSmoothing': 0.3, 'zLoss': 0.01})
    # -inf logits under a cap are -c, no longer masks.
    t = sparse('softcap', 'none/cap4/neg-inf', 4, 6, {'reduction': 'none', 'softcap': 4.0})
    for r in range(4):
        t['logits'][r, (t['labels'][r] + 1) % 6] = -math.inf
    if dtype == 'float32':
        sparse('softcap', 'mean/cap30/wide', 2, 1000, {'softcap': 30.0}, scale=20.0)
        sparse('softcap', 'none/cap30/wide/ls0.1', 1, 4099, {'reduction': 'none', 'softcap': 30.0, 'labelSmoothing': 0.1}, scale=20.0)
    else:
        sparse('softcap', 'sum/cap10/wide', 2, 1000, {'reduction': 'sum', 'softcap': 10.0}, scale=8.0)

    # softmaxFocalLoss
    def focal(name, n, c, opts, scale=2.0, weight=False, alpha=None, ignore=(), grad_output=None):
        name = f'focal/{d}/C{c}/{name}'
        g = rng(name)
        y = labels_for(g, n, c)
        for r in ignore:
            y[r] = opts.get('ignoreIndex', -100)
        tensors = {'logits': randn(g, (n, c), dt, scale), 'labels': y}
        if weight:
            tensors['weight'] = rand(g, (c,), dt, 0.1, 2.0)
        if alpha == 'class':
            tensors['alpha'] = rand(g, (c,), dt, 0.1, 1.0)
        if grad_output == 'rows':
            tensors['gradOutput'] = rand(g, (n,), dt, -2.0, 3.0)
            grad_output = None
        add('focal', name, 'softmaxFocalLoss', dtype, c, tensors, opts, grad_output)

    for gamma in (0.0, 0.5, 1.0, 2.0, 3.7):
        focal(f'mean/gamma{gamma}', 8, 5, {'gamma': gamma})
    focal('mean/default-gamma', 6, 5, {})
    for red in REDUCTIONS:
        focal(f'{red}/gamma2/weight/ignore-100', 8, 5, {'reduction': red, 'gamma': 2.0}, weight=True, ignore=(2, 5))
        focal(f'{red}/gamma2/alpha-class', 8, 5, {'reduction': red, 'gamma': 2.0}, alpha='class')
    focal('mean/gamma0/weight/ignore-100', 8, 5, {'gamma': 0.0}, weight=True, ignore=(1,))
    focal('mean/gamma2/alpha0.25/weight', 8, 5, {'gamma': 2.0, 'alpha': 0.25}, weight=True)
    focal('none/gamma1.5/gradOutputRows', 6, 5, {'reduction': 'none', 'gamma': 1.5}, grad_output='rows')
    focal('mean/gamma2/gradOutput2.5/ignoreIndex1', 6, 5, {'gamma': 2.0, 'ignoreIndex': 1}, ignore=(0,), grad_output=2.5)
    focal('mean/gamma2/spread10', 6, 7, {'gamma': 2.0}, scale=10.0)
    if dtype == 'float32':
        focal('mean/gamma2/wide', 3, 1000, {'gamma': 2.0})

    # sigmoidFocalLoss (torchvision's)
    def sfocal(name, n, c, opts, targets='binary', scale=2.0, grad_output=None):
        name = f'sigmoid-focal/{d}/C{c}/{name}'
        g = rng(name)
        x = randn(g, (n, c), dt, scale)
        tg = (rand(g, (n, c), dt) < 0.3).to(dt) if targets == 'binary' else rand(g, (n, c), dt)
        tensors = {'logits': x, 'targets': tg}
        if grad_output == 'elements':
            tensors['gradOutput'] = rand(g, (n * c,), dt, -2.0, 3.0)
            grad_output = None
        add('sigmoid-focal', name, 'sigmoidFocalLoss', dtype, c, tensors, opts, grad_output)

    sfocal('defaults', 4, 5, {})
    for red in REDUCTIONS:
        sfocal(f'{red}/gamma2/alpha0.25', 4, 5, {'reduction': red, 'gamma': 2.0, 'alpha': 0.25})
        sfocal(f'{red}/soft', 4, 5, {'reduction': red}, targets='soft')
    for gamma in (0.0, 0.5, 1.0, 3.0):
        sfocal(f'mean/gamma{gamma}', 4, 5, {'gamma': gamma})
    sfocal('mean/alpha-off', 4, 5, {'alpha': -1.0})
    sfocal('sum/alpha0.75/soft', 4, 5, {'reduction': 'sum', 'alpha': 0.75}, targets='soft')
    sfocal('none/gradOutputElements', 4, 5, {'reduction': 'none'}, targets='soft', grad_output='elements')
    sfocal('mean/gradOutput2.5', 4, 5, {}, grad_output=2.5)
    sfocal('mean/spread8', 4, 7, {}, scale=8.0)
    if dtype == 'float32':
        sfocal('mean/wide', 2, 1000, {})

    # statistics: ties (small integers), ignored rows, with the other extras
    t = sparse('stats', 'mean/ties', 8, 6, {'stats': True}, scale=1.0)
    t['logits'].copy_(torch.round(t['logits'] * 1.5))
    sparse('stats', 'none/ignore-100', 8, 5, {'reduction': 'none', 'stats': True}, ignore=(0, 3))
    sparse('stats', 'mean/weight/ls0.1/z0.01/cap5', 8, 5,
           {'stats': True, 'labelSmoothing': 0.1, 'zLoss': 0.01, 'softcap': 5.0, 'returnZLoss': True}, scale=4.0, weight=True, ignore=(6,))
    sparse('stats', 'sum/spread10', 8, 7, {'reduction': 'sum', 'stats': True}, scale=10.0)
    if dtype == 'float32':
        sparse('stats', 'mean/wide', 4, 1000, {'stats': True})


NOTES = {
    'sparse': [
        'F.cross_entropy(logits, labels, weight, ignore_index, reduction, label_smoothing); gradient by autograd of loss.backward(gradOutput).',
        "Label smoothing + ignore_index + weight under 'mean': torch 1.13 equals DESIGN.md's formula "
        '[(1-e) sum w[y](-log p_y) + (e/C) sum_n sum_c w_c(-log p_c)] / sum_{n not ignored} w[y_n] '
        '(without weights the denominator is the count of non-ignored rows); asserted for every case (loss and gradient).',
    ],
    'dense': [
        "F.cross_entropy with probability targets; 'mean' divides by N. Smoothed target t' = (1-e) t + e/C.",
        "Computed as -sum where(w t' == 0, 0, w t' log_softmax(x)) so that 0 * log 0 = 0 at -inf logits (xent's decision; torch gives NaN there); equal to F.cross_entropy wherever that is finite.",
    ],
    'sigmoid': ['F.binary_cross_entropy_with_logits(logits, targets, weight, reduction, pos_weight); weight per class (length C) or per element (length N*C).'],
    'prob': [
        "crossEntropy = -sum xlogy(p, q); entropy = -sum xlogy(p, p); klDivergence = sum xlogy(p, p) - xlogy(p, q) (= F.kl_div(q.log(), p, 'none').sum(-1) where that is finite; 0 where p = q = 0). base 2 divides by ln 2; 'mean' is over rows.",
    ],
    'rowwise': ['softmax / log_softmax over the last dimension.'],
    'examples': ["DESIGN.md's worked examples; `design` is the rounded value DESIGN.md prints."],
    'zloss': [
        'F.cross_entropy(logits, labels, weight, ignore_index, reduction, label_smoothing) + z-loss, z = opts.zLoss: '
        "z * torch.logsumexp(logits, -1)**2 per counted row, not weighted; 'mean' divides it by the number of counted rows "
        "(Liger-Kernel's lse_square_scale); 'loss' includes it, want.zLoss (returnZLoss) is the term alone. Probability "
        "targets: every row counts. Gradients by autograd.",
    ],
    'softcap': [
        'The loss of the zloss notes on capped logits c * torch.tanh(logits / c), c = opts.softcap (Gemma 2); '
        'gradients w.r.t. the uncapped logits by autograd.',
    ],
    'focal': [
        "Multi-class focal loss written in torch: -alpha[y] * w[y] * (1 - p_y)**gamma * log p_y, log p_y from log_softmax; "
        "'mean' divides by sum of w[y] over counted rows (the count without weights); gamma = 0 without alpha equals "
        'F.cross_entropy (asserted). alpha: a number or one per class; gamma default 2. Gradients by autograd.',
    ],
    'sigmoid-focal': [
        'torchvision.ops.sigmoid_focal_loss(logits, targets, alpha, gamma, reduction), transcribed from torchvision/ops/focal_loss.py '
        "(torchvision is not installed); xent's defaults: alpha 0.25, gamma 2 (torchvision's), reduction 'mean' (torchvision: 'none'). "
        'Gradients by autograd.',
    ],
    'binary-cross-entropy': [
        "F.binary_cross_entropy(p, targets, weight, reduction) on probabilities, each log clamped at -100 (by torch); weight per "
        'class (length C) or per element (length N*C); the gradient by autograd, p.grad = w (p - t) / max(p (1 - p), 1e-12).',
    ],
    'stats': [
        "The loss of the zloss notes, and per-row statistics: lse = torch.logsumexp of the (capped) logits (NaN for ignored rows), "
        'predicted = torch.argmax of the logits (-1 for ignored rows), correct = predicted == label, accuracy over counted rows, '
        'perplexity = exp(mean over counted rows of lse - (capped) logit of the label).',
    ],
}


def main():
    for dtype in DTYPES:
        sparse_cases(dtype)
        dense_cases(dtype)
        sigmoid_cases(dtype)
        prob_cases(dtype)
        rowwise_cases(dtype)
        example_cases(dtype)
        extra_cases(dtype)
        binary_xent_cases(dtype)
    os.makedirs(OUT_DIR, exist_ok=True)
    names = set()
    total = 0
    for group, cases in CASES.items():
        for c in cases:
            assert c['name'] not in names, c['name']
            names.add(c['name'])
        cases = [finish(c) for c in cases]
        meta = {
            'generator': 'scripts/golden.py',
            'torch': torch.__version__,
            'notes': NOTES[group],
        }
        lines = ',\n'.join(json.dumps(c, separators=(',', ':'), allow_nan=False) for c in cases)
        text = '{"meta":' + json.dumps(meta) + ',\n"cases":[\n' + lines + '\n]}\n'
        folder = os.path.join(OUT_DIR, 'extras' if group in EXTRA_GROUPS else 'losses' if group in LOSS_GROUPS else '')
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f'{group}.json')
        with open(path, 'w') as f:
            f.write(text)
        total += len(text)
        print(f'{path}: {len(cases)} cases, {len(text)} bytes')
    print(f'total {total} bytes')
    import golden_lm  # the language-model functions' vectors (test/golden/lm/)
    golden_lm.main()


if __name__ == '__main__':
    torch.set_num_threads(1)
    main()
