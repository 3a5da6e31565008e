#!/usr/bin/env python3
"""Writes test/golden/lm/*.json: golden vectors of the language-model functions, for
test/lm-golden.test.ts. Run by `npm run golden` (scripts/golden.py calls main()) or alone.

- causal.json: Hugging Face's ForCausalLMLoss, transcribed below from transformers
  (src/transformers/loss/loss_utils.py, v4.46+; transformers is not installed here), on labels
  built the way its data collators build them (input ids, -100 where the attention mask is 0).
  Every case also evaluates xent's general definition (F.cross_entropy with weight,
  label_smoothing, plus z-loss z*lse^2 per counted target and the softcap c*tanh(x/c), on the
  shifted targets) and, where Hugging Face's function applies (no weight, smoothing, z-loss or
  cap), asserts the two agree. Gradients by autograd, w.r.t. the [B, T, V] logits.
- score.json: per-token scores from torch.log_softmax of logits / T: log p of token t from the
  logits at t - 1, entropy -sum p log p, argmax, rank (1 + #{logit > true} + #{equal logit at a
  lower id}), top-k by torch.topk (ties broken by the lower id, checked), perplexities.
- distill.json: distillation losses from Liger-Kernel's definitions (test/transformers/test_jsd.py's
  torch JSD; src/liger_kernel/ops/jsd.py): forward KL(P || Q) = kl_div(log Q, log P, log_target)
  summed per row, reverse KL(Q || P), generalised JSD beta KL(P || M) + (1 - beta) KL(Q || M) with
  M = torch.lerp(Q, P, beta); P = softmax(teacher / T), Q = softmax(student / T), times T^2;
  'mean' over counted rows (batchmean), labels == -100 rows skipped. Gradients by autograd.
Inputs are drawn as in scripts/golden.py (float32 values written exactly; expectations computed
in float64 on them).
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden as G  # noqa: E402  (its import re-executes under the interpreter that has torch)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OUT_DIR = os.path.join(G.ROOT, 'test', 'golden', 'lm')
F64 = torch.float64


# ------------------------------------------------- Hugging Face, transcribed (loss_utils.py)

def fixed_cross_entropy(source, target, num_items_in_batch=None, ignore_index=-100, **kwargs):
    reduction = 'sum' if num_items_in_batch is not None else 'mean'
    loss = F.cross_entropy(source, target, ignore_index=ignore_index, reduction=reduction)
    if reduction == 'sum':
        loss = loss / num_items_in_batch
    return loss


def for_causal_lm_loss(logits, labels, vocab_size, num_items_in_batch=None, ignore_index=-100, shift_labels=None, **kwargs):
    logits = logits.double()  # HF: logits.float(); float64 here, the reference
    if shift_labels is None:
        labels = F.pad(labels, (0, 1), value=ignore_index)
        shift_labels = labels[..., 1:].contiguous()
    logits = logits.view(-1, vocab_size)
    shift_labels = shift_labels.view(-1)
    return fixed_cross_entropy(logits, shift_labels, num_items_in_batch, ignore_index, **kwargs)


# ------------------------------------------------- xent's definition

def shift(labels, ignore_index):
    return F.pad(labels, (0, 1), value=ignore_index)[..., 1:].reshape(-1)


def causal_general(x, y, o):
    """x [B, T, V] float64 leaf, y the labels [B, T] (already masked): loss (as opts.reduction says)."""
    b, t, v = x.shape
    ii = o.get('ignoreIndex', -100)
    target = shift(y, ii)
    flat = x.reshape(-1, v)
    cap = o.get('softcap')
    if cap:
        flat = cap * torch.tanh(flat / cap)
    w = o.get('_weight')
    per = o.get('numItemsInBatch')
    red = o.get('reduction', 'mean')
    ce = F.cross_entropy(flat, target, weight=w, ignore_index=ii, label_smoothing=o.get('labelSmoothing', 0.0), reduction='none')
    keep = target != ii
    z = o.get('zLoss', 0.0)
    zt = torch.where(keep, z * torch.logsumexp(flat, -1) ** 2, torch.zeros_like(ce)) if z else torch.zeros_like(ce)
    if red == 'none':
        return ce + zt
    if red == 'sum':
        return ce.sum() + zt.sum()
    if per is not None:
        return (ce.sum() + zt.sum()) / per
    denom = (w[target[keep]].sum() if w is not None else keep.sum())
    return ce.sum() / denom + zt.sum() / keep.sum()


def causal_case(cases, name, dtype, b, t, v, opts=None, pad=None, label_ignore=0, weight=False, grad_output=None, ids_as=None):
    opts = dict(opts or {})
    dt = G.DTYPES[dtype]
    full = f'causal/{G.tag(dtype)}/{name}'
    g = G.rng(full)
    x = G.randn(g, (b, t, v), dt, 2.0)
    ids = torch.randint(0, v, (b, t), generator=g)
    mask = None
    if pad:  # right padding of `pad[s]` tokens per sequence
        mask = torch.ones(b, t, dtype=torch.int64)
        for s, p in enumerate(pad):
            if p:
                mask[s, t - p:] = 0
    labels = ids.clone()
    explicit = None
    if label_ignore:
        pick = torch.rand((b, t), generator=g) < label_ignore
        labels[pick] = -100
        explicit = labels.clone()
    if mask is not None:
        labels = labels.masked_fill(mask == 0, -100)
    w = G.rand(g, (v,), dt, 0.2, 2.0) if weight else None
    xd = x.to(F64).requires_grad_(True)
    o = dict(opts)
    if w is not None:
        o['_weight'] = w.to(F64)
    loss = causal_general(xd, labels, o)
    gout = torch.ones_like(loss) if grad_output is None else (
        torch.full_like(loss, grad_output) if isinstance(grad_output, float) else G.randn(g, loss.shape, dt).to(F64))
    loss.backward(gout)
    plain = not any(k in opts for k in ('labelSmoothing', 'zLoss', 'softcap', 'reduction')) and w is None
    if plain:
        hf = for_causal_lm_loss(x.to(F64), labels, v, num_items_in_batch=opts.get('numItemsInBatch'))
        assert torch.allclose(hf, loss, rtol=1e-12, atol=1e-12), f'{full}: HF ForCausalLMLoss {hf} != {loss}'
    case = {'name': full, 'dtype': dtype, 'batchSize': b, 'classes': v,
            'logits': G.enc_input(x, dtype), 'inputIds': ids.reshape(-1).tolist(), 'opts': opts}
    if explicit is not None:
        case['labels'] = explicit.reshape(-1).tolist()
    if mask is not None:
        case['attentionMask'] = mask.reshape(-1).tolist()
    if w is not None:
        case['weight'] = G.enc_input(w, dtype)
    if grad_output is not None:
        case['gradOutput'] = G.enc_input(gout, dtype) if gout.dim() else grad_output
    if ids_as:
        case['idsAs'] = ids_as
    case['hf'] = plain
    case['want'] = {'loss': G.enc_output(loss.detach(), dtype), 'grad': G.enc_output(xd.grad.reshape(-1), dtype)}
    cases.append(case)


def causal_cases():
    cases = []
    for dtype in G.DTYPES:
        causal_case(cases, 'one sequence', dtype, 1, 6, 11)
        causal_case(cases, 'batch', dtype, 3, 5, 7, ids_as='bigint')
        causal_case(cases, 'batch number[] ids', dtype, 2, 4, 9, ids_as='array')
        causal_case(cases, 'sum', dtype, 2, 5, 7, {'reduction': 'sum'})
        causal_case(cases, 'none', dtype, 2, 5, 7, {'reduction': 'none'}, grad_output='array')
        causal_case(cases, 'right padding', dtype, 3, 6, 8, pad=[0, 2, 4])
        causal_case(cases, 'labels -100', dtype, 2, 8, 6, label_ignore=0.3)
        causal_case(cases, 'labels and padding', dtype, 2, 8, 6, pad=[3, 0], label_ignore=0.25)
        causal_case(cases, 'numItemsInBatch', dtype, 2, 6, 7, {'numItemsInBatch': 23}, label_ignore=0.2)
        causal_case(cases, 'numItemsInBatch gradOutput', dtype, 2, 6, 7, {'numItemsInBatch': 9}, grad_output=0.5)
        causal_case(cases, 'weight smoothing', dtype, 2, 6, 9, {'labelSmoothing': 0.1}, weight=True, label_ignore=0.2)
        causal_case(cases, 'zloss softcap', dtype, 2, 5, 8, {'zLoss': 1e-3, 'softcap': 3.0})
        causal_case(cases, 'wide vocabulary', dtype, 2, 3, 300, label_ignore=0.2)
    return cases


# ------------------------------------------------- scoreTokens

def score_case(cases, name, dtype, b, t, v, opts=None, pad=None, prompt=None, label_ignore=0, ties=False):
    opts = dict(opts or {})
    dt = G.DTYPES[dtype]
    full = f'score/{G.tag(dtype)}/{name}'
    g = G.rng(full)
    x = G.randn(g, (b, t, v), dt, 2.0)
    if ties:  # integer logits: many equal values, for rank and top-k ties
        x = torch.round(x)
    ids = torch.randint(0, v, (b, t), generator=g)
    mask = torch.ones(b, t, dtype=torch.int64)
    if pad:  # (left or right, count) per sequence
        for s, (side, p) in enumerate(pad):
            if p and side == 'left':
                mask[s, :p] = 0
            elif p:
                mask[s, t - p:] = 0
    labels = None
    if label_ignore:
        labels = ids.clone()
        labels[torch.rand((b, t), generator=g) < label_ignore] = -100
    temp = opts.get('temperature', 1.0)
    unit = math.log(2) if opts.get('base') == 2 else 1.0
    k = opts.get('topK', 0)
    lp = torch.log_softmax(x.to(F64) / temp, -1)  # [B, T, V]
    n = b * t
    logp = torch.full((b, t), math.nan, dtype=F64)
    ent = torch.full((b, t), math.nan, dtype=F64)
    pred = torch.full((b, t), -1, dtype=torch.int64)
    rank = torch.zeros((b, t), dtype=torch.int64)
    top_ids = torch.full((b, t, max(k, 1)), -1, dtype=torch.int64)
    top_lp = torch.full((b, t, max(k, 1)), math.nan, dtype=F64)
    sums = [0.0] * b
    counts = [0] * b
    for s in range(b):
        p0 = prompt[s] if isinstance(prompt, list) else (prompt or 0)
        for i in range(1, t):
            if i < p0 or mask[s, i] == 0 or mask[s, i - 1] == 0:
                continue
            if labels is not None and labels[s, i] == -100:
                continue
            row = lp[s, i - 1]
            y = int(ids[s, i])
            logp[s, i] = row[y]
            ent[s, i] = -(row.exp() * row).sum()
            pred[s, i] = int(torch.argmax(x[s, i - 1]))
            xr = x[s, i - 1]
            rank[s, i] = 1 + int((xr > xr[y]).sum()) + int((xr[:y] == xr[y]).sum())
            if k:
                # torch.topk does not promise an order among ties: order by (-logit, id) instead.
                order = sorted(range(v), key=lambda j: (-float(xr[j]), j))[:k]
                vals, _ = torch.topk(xr.to(F64), k)
                assert torch.equal(vals, xr.to(F64)[order]), full
                top_ids[s, i] = torch.tensor(order)
                top_lp[s, i] = row[order]
            sums[s] += float(row[y])
            counts[s] += 1
    total = sum(counts)
    want = {
        'logProbs': G.enc_output(logp.reshape(-1) / unit, dtype),
        'predicted': pred.reshape(-1).tolist(),
        'sum': [G.enc_value(v_ / unit, 'float64') for v_ in sums],
        'count': counts,
        'mean': [G.enc_value(sums[s] / counts[s] / unit, 'float64') if counts[s] else 'NaN' for s in range(b)],
        'seqPerplexity': [G.enc_value(math.exp(-sums[s] / counts[s]), 'float64') if counts[s] else 1.0 for s in range(b)],
        'perplexity': G.enc_value(math.exp(-sum(sums) / total), 'float64') if total else 1.0,
    }
    if opts.get('entropy'):
        want['entropy'] = G.enc_output(ent.reshape(-1) / unit, dtype)
    if opts.get('rank'):
        want['rank'] = rank.reshape(-1).tolist()
    if k:
        want['topIds'] = top_ids.reshape(-1).tolist()
        want['topLogProbs'] = G.enc_output(top_lp.reshape(-1) / unit, dtype)
    case = {'name': full, 'dtype': dtype, 'batchSize': b, 'classes': v,
            'logits': G.enc_input(x, dtype), 'inputIds': ids.reshape(-1).tolist(), 'opts': opts}
    if pad:
        case['attentionMask'] = mask.reshape(-1).tolist()
    if labels is not None:
        case['labels'] = labels.reshape(-1).tolist()
    if prompt is not None:
        case['opts']['promptLength'] = prompt
    case['want'] = want
    del n
    cases.append(case)


def score_cases():
    cases = []
    every = {'entropy': True, 'rank': True, 'topK': 3}
    for dtype in G.DTYPES:
        score_case(cases, 'plain', dtype, 2, 6, 9)
        score_case(cases, 'everything', dtype, 2, 6, 9, every)
        score_case(cases, 'bits', dtype, 2, 5, 8, {**every, 'base': 2})
        score_case(cases, 'temperature', dtype, 2, 5, 8, {**every, 'temperature': 0.7})
        score_case(cases, 'temperature plain', dtype, 1, 7, 6, {'temperature': 1.6})
        score_case(cases, 'padding both sides', dtype, 3, 7, 8, every, pad=[('left', 2), ('right', 3), ('right', 0)])
        score_case(cases, 'prompt per sequence', dtype, 2, 7, 8, every, prompt=[3, 0])
        score_case(cases, 'prompt number and labels', dtype, 2, 7, 8, every, prompt=2, label_ignore=0.3)
        score_case(cases, 'ties', dtype, 2, 6, 12, {**every, 'topK': 5}, ties=True)
        score_case(cases, 'top all', dtype, 1, 4, 5, {'topK': 5, 'rank': True})
        score_case(cases, 'wide vocabulary', dtype, 1, 4, 300, every)
    return cases


# ------------------------------------------------- distillationLoss (Liger-Kernel's definitions)

def kl_rows(log_a, log_b):
    """KL(A || B) per row: F.kl_div(log_b, log_a, reduction='none', log_target=True).sum(-1)."""
    return F.kl_div(log_b, log_a, reduction='none', log_target=True).sum(-1)


def distill_rows(s, t, kind, beta, temp):
    log_q = torch.log_softmax(s / temp, -1)
    log_p = torch.log_softmax(t / temp, -1)
    if kind == 'forward-kl' or (kind == 'jsd' and beta == 0):
        rows = kl_rows(log_p, log_q)
    elif kind == 'reverse-kl' or (kind == 'jsd' and beta == 1):
        rows = kl_rows(log_q, log_p)
    else:
        m = torch.lerp(torch.exp(log_q), torch.exp(log_p), beta)
        rows = beta * kl_rows(log_p, torch.log(m)) + (1 - beta) * kl_rows(log_q, torch.log(m))
    return rows * temp * temp


def distill_case(cases, name, dtype, n, v, opts=None, label_ignore=0, grad_output=None):
    opts = dict(opts or {})
    dt = G.DTYPES[dtype]
    full = f'distill/{G.tag(dtype)}/{name}'
    g = G.rng(full)
    s = G.randn(g, (n, v), dt, 2.0)
    t = G.randn(g, (n, v), dt, 2.5)
    labels = None
    if label_ignore:
        labels = torch.randint(0, v, (n,), generator=g)
        labels[torch.rand((n,), generator=g) < label_ignore] = -100
    sd = s.to(F64).requires_grad_(True)
    rows = distill_rows(sd, t.to(F64), opts.get('kind', 'forward-kl'), opts.get('beta', 0.5), opts.get('temperature', 1.0))
    keep = torch.ones(n, dtype=torch.bool) if labels is None else labels != -100
    rows = torch.where(keep, rows, torch.zeros_like(rows))
    red = opts.get('reduction', 'mean')
    loss = rows if red == 'none' else rows.sum() if red == 'sum' else rows.sum() / keep.sum()
    gout = torch.ones_like(loss) if grad_output is None else G.randn(g, loss.shape, dt).to(F64)
    loss.backward(gout)
    case = {'name': full, 'dtype': dtype, 'classes': v, 'student': G.enc_input(s, dtype), 'teacher': G.enc_input(t, dtype), 'opts': opts}
    if labels is not None:
        case['labels'] = labels.tolist()
    if grad_output is not None:
        case['gradOutput'] = G.enc_input(gout, dtype)
    case['want'] = {'loss': G.enc_output(loss.detach(), dtype), 'grad': G.enc_output(sd.grad.reshape(-1), dtype)}
    cases.append(case)


def distill_cases():
    cases = []
    for dtype in G.DTYPES:
        distill_case(cases, 'forward kl', dtype, 5, 9)
        distill_case(cases, 'reverse kl', dtype, 5, 9, {'kind': 'reverse-kl'})
        distill_case(cases, 'jsd', dtype, 5, 9, {'kind': 'jsd'})
        distill_case(cases, 'jsd beta 0.2 temperature 2', dtype, 4, 11, {'kind': 'jsd', 'beta': 0.2, 'temperature': 2.0})
        distill_case(cases, 'jsd beta 0', dtype, 3, 7, {'kind': 'jsd', 'beta': 0.0})
        distill_case(cases, 'jsd beta 1', dtype, 3, 7, {'kind': 'jsd', 'beta': 1.0})
        distill_case(cases, 'forward kl temperature 3 labels', dtype, 6, 8, {'temperature': 3.0}, label_ignore=0.4)
        distill_case(cases, 'reverse kl sum', dtype, 4, 6, {'kind': 'reverse-kl', 'reduction': 'sum', 'temperature': 0.5})
        distill_case(cases, 'jsd none', dtype, 4, 6, {'kind': 'jsd', 'reduction': 'none'}, grad_output='array')
        distill_case(cases, 'wide vocabulary', dtype, 2, 300, {'kind': 'jsd', 'beta': 0.7}, label_ignore=0.3)
    return cases


def write(name, notes, cases):
    os.makedirs(OUT_DIR, exist_ok=True)
    meta = {'generator': 'scripts/golden_lm.py', 'torch': torch.__version__, 'notes': notes}
    lines = ',\n'.join(json.dumps(c, separators=(',', ':'), allow_nan=False) for c in cases)
    text = '{"meta":' + json.dumps(meta) + ',\n"cases":[\n' + lines + '\n]}\n'
    path = os.path.join(OUT_DIR, f'{name}.json')
    with open(path, 'w') as f:
        f.write(text)
    print(f'{path}: {len(cases)} cases, {len(text)} bytes')


def main():
    torch.set_num_threads(1)
    write('causal', [
        "Hugging Face ForCausalLMLoss (transformers/loss/loss_utils.py, transcribed) where hf is true; else F.cross_entropy on the "
        'shifted targets with weight, label_smoothing, softcap c*tanh(x/c), z-loss z*lse^2 per counted target (mean over counted '
        "targets, or / numItemsInBatch). Labels: opts labels or input ids, -100 where attentionMask is 0. 'none' is [B*T]. "
        'Gradients by autograd w.r.t. logits [B, T, V].',
    ], causal_cases())
    write('score', [
        'torch.log_softmax(logits / T): logProbs[t] = log p(id t) from the logits at t - 1; NaN at t = 0, before promptLength, '
        'where the token or the one before it is padding, and where labels is -100. entropy = -sum p log p; predicted = '
        'torch.argmax; rank = 1 + #{x > x_y} + #{x = x_y, lower id}; top k by (-logit, id), equal values to torch.topk. '
        'base 2 divides by ln 2; perplexities exp(-mean ln p).',
    ], score_cases())
    write('distill', [
        "Liger-Kernel's distillation losses in torch ops (see scripts/golden_lm.py): forward KL(P||Q), reverse KL(Q||P), generalised "
        'JSD beta KL(P||M) + (1-beta) KL(Q||M), M = lerp(Q, P, beta); P = softmax(teacher/T), Q = softmax(student/T); loss times T^2; '
        "'mean' = sum over counted rows / their number; rows with labels -100 skipped. Gradient w.r.t. the student by autograd.",
    ], distill_cases())


if __name__ == '__main__':
    main()
