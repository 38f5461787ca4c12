# %% [markdown] lang="en"
# # Unit scale and number formats
#
# The notebook of the page [*Unit scale and number formats*]({{ page_url }}) of *Why N(0, 1)?*.
# Each section below runs one experiment of the page and prints what it found; the last cell
# computes every number the page quotes and draws its figures ({{ fig_range }}). Everything runs
# on a CPU: low-precision formats are simulated by rounding float32 tensors to them and back.

# %% [markdown] lang="zh"
# # 单位尺度与数值格式
#
# 这是《为什么是N(0, 1)？》中[单位尺度与数值格式]({{ page_url }})一页的笔记本。
# 下面每一节运行该页的一个实验，并打印实验结果；最后一个代码单元计算该页引用的全部数字，
# 并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行：低精度格式是这样模拟的——
# 把float32张量舍入到该格式，再转换回来。

# %% [markdown] lang="en"
# ## Five formats
#
# `torch.finfo` gives each format's largest number, its smallest normal number and its `eps`,
# the spacing of the numbers between 1 and 2. Below the smallest normal number come the
# subnormals, evenly spaced down to the smallest subnormal, {{ number_formats.formats.e4m3.smallest_subnormal | sci(2) }}
# in fp8 E4M3 and {{ number_formats.formats.fp16.smallest_subnormal | sci(2) }} in fp16. E4M3 reaches only
# {{ number_formats.formats.e4m3.max | fixed(0) }}, E5M2 {{ number_formats.formats.e5m2.max | fixed(0) }} and fp16
# {{ number_formats.formats.fp16.max | fixed(0) }}, while bf16 keeps fp32's 8 exponent bits and its range.

# %% [markdown] lang="zh"
# ## 五种格式
#
# `torch.finfo`给出每种格式的最大数、最小正规数（normal number）和`eps`，即1与2之间相邻两数的间距。
# 比最小正规数更小的是次正规数（subnormal number），它们等距排列，一直到最小次正规数：
# fp8 E4M3为{{ number_formats.formats.e4m3.smallest_subnormal | sci(2) }}，
# fp16为{{ number_formats.formats.fp16.smallest_subnormal | sci(2) }}。E4M3最大只到
# {{ number_formats.formats.e4m3.max | fixed(0) }}，E5M2到{{ number_formats.formats.e5m2.max | fixed(0) }}，
# fp16到{{ number_formats.formats.fp16.max | fixed(0) }}；bf16则保留了fp32的8个指数位，因而也保留了它的范围。

# %%
# --8<-- [start:formats]
import torch

FORMATS = {  # name: dtype
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
    "e4m3": torch.float8_e4m3fn,
    "e5m2": torch.float8_e5m2,
}


def format_table() -> dict:
    """Range and spacing of each format, all from torch.finfo."""
    table = {}
    for name, dtype in FORMATS.items():
        info = torch.finfo(dtype)
        mantissa = round(-torch.log2(torch.tensor(info.eps)).item())
        table[name] = {
            "bits": info.bits,
            "exponent_bits": info.bits - 1 - mantissa,
            "mantissa_bits": mantissa,
            "max": info.max,
            "smallest_normal": info.smallest_normal,
            # below it the spacing stops shrinking: subnormals, then 0
            "smallest_subnormal": info.smallest_normal * info.eps,
            "eps": info.eps,  # spacing of the numbers between 1 and 2
        }
    return table


if __name__ == "__main__":
    print(f"{'format':9s} {'bits':>4s} {'E':>2s} {'M':>2s} {'max':>9s} "
          f"{'min normal':>10s} {'min subnormal':>13s} {'eps':>8s}")
    for name, f in format_table().items():
        print(f"{name:9s} {f['bits']:4d} {f['exponent_bits']:2d} "
              f"{f['mantissa_bits']:2d} {f['max']:9.3g} "
              f"{f['smallest_normal']:10.3g} {f['smallest_subnormal']:13.3g} "
              f"{f['eps']:8.3g}")
# --8<-- [end:formats]

# %% [markdown] lang="en"
# ## Casting N(0, σ²)
#
# The cell draws {{ number_formats.cast.n | fixed(0) }} values from N(0, σ²), casts them to each format and prints the
# relative RMS error for a few σ ({{ fig("cast_error") }} and {{ fig("lost") }} sweep σ from 10⁻¹⁰ to 10⁶). A
# floating-point format's error does not depend on σ over a wide band: at σ = 1 it is
# {{ number_formats.cast.at_one.fp16.error | sci(1) }} for fp16 and {{ number_formats.cast.at_one.e4m3.error | sci(1) }} for E4M3, and it stays
# within {{ ((number_formats.cast.tolerance - 1) * 100) | fixed(0) }} % of that from σ = {{ number_formats.cast.bands.fp16.low | sci(0) }}
# to {{ number_formats.cast.bands.fp16.high | sci(0) }} in fp16 but only from {{ number_formats.cast.bands.e4m3.low | sci(1) }} to
# {{ number_formats.cast.bands.e4m3.high | sci(0) }} in E4M3. int8 with one scale chosen for σ = 1 (clipping at 4) is
# better there ({{ number_formats.cast.at_one.int8.error | pct(2) }}) but has no band: {{ number_formats.cast.at_tenth.int8.error | pct(0) }}
# at σ = 0.1 and {{ number_formats.cast.at_ten.int8.error | pct(0) }} at σ = 10.

# %% [markdown] lang="zh"
# ## 把N(0, σ²)转换到各格式
#
# 代码从N(0, σ²)抽取{{ number_formats.cast.n | fixed(0) }}个值，转换到每种格式，打印几个σ下的相对均方根误差
# （{{ fig("cast_error") }}和{{ fig("lost") }}让σ从10⁻¹⁰扫到10⁶）。浮点格式的误差在很宽的一段尺度上与σ无关：
# σ = 1时，fp16为{{ number_formats.cast.at_one.fp16.error | sci(1) }}，E4M3为{{ number_formats.cast.at_one.e4m3.error | sci(1) }}；
# fp16的误差从σ = {{ number_formats.cast.bands.fp16.low | sci(0) }}到{{ number_formats.cast.bands.fp16.high | sci(0) }}都保持在这个值的
# {{ ((number_formats.cast.tolerance - 1) * 100) | fixed(0) }}%以内，E4M3却只在{{ number_formats.cast.bands.e4m3.low | sci(1) }}到
# {{ number_formats.cast.bands.e4m3.high | sci(0) }}之间如此。按σ = 1选定单一缩放因子（在4处裁剪）的int8在σ = 1时比E4M3更准
# （{{ number_formats.cast.at_one.int8.error | pct(2) }}），却没有这样一段平坦区间：σ = 0.1时误差为
# {{ number_formats.cast.at_tenth.int8.error | pct(0) }}，σ = 10时为{{ number_formats.cast.at_ten.int8.error | pct(0) }}。

# %%
# --8<-- [start:cast_error]
import torch

FORMATS = {
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
    "e4m3": torch.float8_e4m3fn,
    "e5m2": torch.float8_e5m2,
}


def to_format(x: torch.Tensor, dtype) -> torch.Tensor:
    """Round x to `dtype` and back to float64. A value beyond the format's
    largest number is clipped to it first, as a saturating cast does
    (a plain fp16, bf16 or E5M2 cast in PyTorch 2.13 gives inf; its E4M3
    cast saturates)."""
    big = torch.finfo(dtype).max
    return x.clamp(-big, big).to(dtype).to(torch.float64)


def to_int8(x: torch.Tensor, clip: float) -> torch.Tensor:
    """Symmetric int8 with one fixed scale: [-clip, clip] -> [-127, 127]."""
    scale = clip / 127
    return (x / scale).round().clamp(-127, 127) * scale


def cast_error(sigma: float, n: int = 100_000, seed: int = 0) -> dict:
    """Cast x ~ N(0, sigma^2) to each format; relative RMS error and the
    shares of values that overflow, become 0, or land among subnormals."""
    gen = torch.Generator().manual_seed(seed)
    x = sigma * torch.randn(n, generator=gen, dtype=torch.float64)
    rms = x.pow(2).mean().sqrt()
    out = {}
    for name, dtype in FORMATS.items():
        info = torch.finfo(dtype)
        q = to_format(x, dtype)
        out[name] = {
            "error": ((q - x).pow(2).mean().sqrt() / rms).item(),
            "overflow": (x.abs() > info.max).double().mean().item(),
            "zero": (q == 0).double().mean().item(),
            "subnormal": ((q != 0) & (q.abs() < info.smallest_normal))
            .double().mean().item(),
        }
    q = to_int8(x, clip=4.0)  # a scale chosen for sigma = 1: clip at 4
    out["int8"] = {
        "error": ((q - x).pow(2).mean().sqrt() / rms).item(),
        "overflow": (x.abs() > 4.0).double().mean().item(),
        "zero": (q == 0).double().mean().item(),
    }
    return out


if __name__ == "__main__":
    for sigma in [1e-8, 1e-5, 1e-3, 1e-1, 1.0, 1e1, 1e3, 1e5]:
        errors = cast_error(sigma)
        print(f"sigma = {sigma:7.0e}  relative RMS error: " + "  ".join(
            f"{name} {e['error']:.1e}" for name, e in errors.items()))
# --8<-- [end:cast_error]

# %% [markdown] lang="en"
# ## Gradients are the tensors that fall off the bottom
#
# The cell trains a {{ number_formats.gradients.widths | join("-") }} ReLU MLP on the digits in float32 for
# {{ number_formats.gradients.steps }} SGD steps, then looks at one batch's tensors. The median magnitude of the nonzero
# activation gradients is {{ number_formats.gradients.trained.median["activation grads"] | sci(1) }}, against
# {{ number_formats.gradients.trained.median.activations | fixed(2) }} for the activations ({{ fig("tensors") }}). Cast to fp16,
# {{ number_formats.gradients.trained.lost.fp16.plain | pct(1) }} of them become 0; to E5M2, {{ number_formats.gradients.trained.lost.e5m2.plain | pct(0) }};
# to bf16, none. Multiplying them first by the largest power of two that overflows nothing (loss scaling)
# leaves {{ number_formats.gradients.trained.lost.fp16.scaled | pct(2) }} and {{ number_formats.gradients.trained.lost.e5m2.scaled | pct(2) }}.

# %% [markdown] lang="zh"
# ## 从底部掉出去的是梯度
#
# 代码用float32在手写数字上训练一个{{ number_formats.gradients.widths | join("-") }}的ReLU MLP，
# 做{{ number_formats.gradients.steps }}步SGD，然后查看一个批量里的各个张量。非零激活值梯度的绝对值中位数为
# {{ number_formats.gradients.trained.median["activation grads"] | sci(1) }}，而激活值为
# {{ number_formats.gradients.trained.median.activations | fixed(2) }}（{{ fig("tensors") }}）。转换到fp16时，
# 其中{{ number_formats.gradients.trained.lost.fp16.plain | pct(1) }}变成0；转换到E5M2时为
# {{ number_formats.gradients.trained.lost.e5m2.plain | pct(0) }}；转换到bf16时一个也没有。先乘以不会造成任何上溢的最大的2的幂
# （损失缩放），则fp16和E5M2中舍入为0的比例分别只剩{{ number_formats.gradients.trained.lost.fp16.scaled | pct(2) }}和
# {{ number_formats.gradients.trained.lost.e5m2.scaled | pct(2) }}。

# %%
# --8<-- [start:gradients]
import torch
from sklearn.datasets import load_digits


def digits(seed: int = 0) -> tuple:
    """Standardized 8x8 digits (64 features), 10 classes."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0).clamp_min(1e-3)
    return X, torch.tensor(y)


def trained_tensors(steps: int = 200, batch: int = 64, lr: float = 0.3,
                    widths: tuple = (64, 64, 64, 10), seed: int = 0) -> dict:
    """Train a ReLU MLP in float32 with SGD, then return, for one batch, the
    four kinds of tensor a matmul reads: weights, activations (its inputs),
    and the gradients of the loss with respect to weights and to the
    pre-activations (its outputs)."""
    torch.manual_seed(seed)
    X, y = digits()
    layers = [torch.nn.Linear(a, b, bias=False)
              for a, b in zip(widths[:-1], widths[1:])]
    for layer in layers:  # Kaiming: N(0, 2 / fan_in)
        torch.nn.init.normal_(layer.weight, std=(2 / layer.in_features) ** 0.5)
    params = [p for layer in layers for p in layer.parameters()]
    opt = torch.optim.SGD(params, lr=lr)

    def forward(xb):
        acts, pre = [], []
        h = xb
        for i, layer in enumerate(layers):
            acts.append(h)
            z = layer(h)
            z.retain_grad()
            pre.append(z)
            h = torch.relu(z) if i < len(layers) - 1 else z
        return h, acts, pre

    for step in range(steps + 1):
        idx = torch.randint(0, len(X), (batch,))
        logits, acts, pre = forward(X[idx])
        loss = torch.nn.functional.cross_entropy(logits, y[idx])  # batch mean
        opt.zero_grad()
        loss.backward()
        if step == steps:  # the last batch: record, do not step
            break
        opt.step()
    flat = lambda ts: torch.cat([t.detach().flatten() for t in ts])
    return {
        "weights": flat(params),
        "activations": flat(acts[1:]),  # the hidden layers' outputs
        "weight grads": flat(p.grad for p in params),
        "activation grads": flat(z.grad for z in pre),
        "loss": loss.item(),
        # each example's p - y: the logits' gradient without the batch mean's 1/batch
        "median |p - y|": (pre[-1].grad * batch).abs().median().item(),
    }


def lost_to_zero(t: torch.Tensor, dtype, loss_scale: float = 1.0) -> float:
    """Share of the nonzero entries of t that the cast t * loss_scale -> dtype
    rounds to zero."""
    t = t[t != 0].double() * loss_scale
    return (t.to(dtype) == 0).double().mean().item()


def largest_safe_scale(t: torch.Tensor, dtype) -> float:
    """Loss scaling: the largest power of two that keeps max |t| within the
    format's largest number."""
    return 2.0 ** torch.floor(torch.log2(
        torch.finfo(dtype).max / t.abs().max())).item()


if __name__ == "__main__":
    tensors = trained_tensors()
    print(f"loss after training: {tensors.pop('loss'):.3f}, "
          f"median |p - y|: {tensors.pop('median |p - y|'):.1e}")
    for kind, t in tensors.items():
        print(f"{kind:17s} median |x| = {t.abs().median():.1e}")
    g = tensors["activation grads"]
    every_grad = torch.cat([g, tensors["weight grads"]])
    for name, dtype in [("bf16", torch.bfloat16), ("fp16", torch.float16),
                        ("e5m2", torch.float8_e5m2),
                        ("e4m3", torch.float8_e4m3fn)]:
        s = largest_safe_scale(every_grad, dtype)
        print(f"activation grads in {name:8s}: {lost_to_zero(g, dtype):6.1%} "
              f"become 0; with loss scale {s:.0e}: {lost_to_zero(g, dtype, s):6.2%}")
# --8<-- [end:gradients]

# %% [markdown] lang="en"
# ## Training in fp8, on and off unit scale
#
# The cell trains the same network with every matmul reading E4M3 inputs and weights and an E5M2
# gradient, while the stored weights or the loss are moved by a power of two that changes nothing in
# exact arithmetic. The page's version ({{ fig("training") }}) gives each arm the best of
# {{ number_formats.training.lrs | length }} learning rates and {{ number_formats.training.seeds | length }} seeds: fp8 trains
# (median training loss below {{ number_formats.training.trains_below }}) with the weights stored at a standard deviation from
# 2^{{ number_formats.training.weights_ok.low }} to 2^{{ number_formats.training.weights_ok.high }} and with the loss multiplied by
# 2^{{ number_formats.training.loss_ok.low }} to 2^{{ number_formats.training.loss_ok.high }} (the end of the sweep), and degrades or fails
# beyond them, while float32 ends at {{ number_formats.training.fp32.weights["0"].median | fixed(4) }} at every offset it was run at.

# %% [markdown] lang="zh"
# ## 用fp8训练：在单位尺度上，以及偏离它时
#
# 代码训练同一个网络：每次矩阵乘法读取的输入和权重都舍入到E4M3，输出的梯度舍入到E5M2；
# 同时把所存的权重或损失乘以一个2的幂，这在精确算术中什么也不改变。页面上的完整版本（{{ fig("training") }}）
# 让每组实验在{{ number_formats.training.lrs | length }}个学习率中取最好的一个，并用{{ number_formats.training.seeds | length }}个随机种子：
# 当所存权重的标准差在2^{{ number_formats.training.weights_ok.low }}到2^{{ number_formats.training.weights_ok.high }}之间、
# 损失乘以2^{{ number_formats.training.loss_ok.low }}到2^{{ number_formats.training.loss_ok.high }}（扫描的终点）时，fp8能够训练
# （训练损失的中位数低于{{ number_formats.training.trains_below }}），超出这个范围就变差或完全训练不动；
# 而float32在运行过的每个偏移下，最终损失都是{{ number_formats.training.fp32.weights["0"].median | fixed(4) }}。

# %%
# --8<-- [start:training]
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

E4M3, E5M2 = torch.float8_e4m3fn, torch.float8_e5m2


def to_format(x: torch.Tensor, dtype) -> torch.Tensor:
    """Round to `dtype` (clipped to its range) and back to float32."""
    if dtype is None:
        return x
    big = torch.finfo(dtype).max
    return x.clamp(-big, big).to(dtype).to(torch.float32)


class Cast(torch.autograd.Function):
    """Identity that rounds its input to `forward_dtype` on the way forward
    and the gradient flowing back through it to `backward_dtype`; if given a
    `tally` dict, it adds up per run how many nonzero gradient entries the
    backward rounding sent to 0 and how many it clipped."""

    @staticmethod
    def forward(ctx, x, forward_dtype, backward_dtype, tally=None):
        ctx.backward_dtype, ctx.tally = backward_dtype, tally
        return to_format(x, forward_dtype)

    @staticmethod
    def backward(ctx, grad):
        out = to_format(grad, ctx.backward_dtype)
        if ctx.tally is not None and ctx.backward_dtype is not None:
            nonzero = grad != 0
            big = torch.finfo(ctx.backward_dtype).max
            ctx.tally["nonzero"] += nonzero.sum((1, 2))
            ctx.tally["zeroed"] += (nonzero & (out == 0)).sum((1, 2))
            ctx.tally["clipped"] += (grad.abs() > big).sum((1, 2))
        return out, None, None, None


def digits_split() -> tuple:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    mean, std = Xtr.mean(0), Xtr.std(0).clip(1e-3)
    f = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)
    return f(Xtr), torch.tensor(ytr), f(Xte), torch.tensor(yte)


def train(runs: list, fp8: bool, steps: int = 200, batch: int = 64,
          widths: tuple = (64, 64, 64, 10)) -> dict:
    """Train one ReLU MLP per run (weight_std, loss_mult, lr, seed), all at
    once with batched matmuls; plain SGD on float32 master weights.

    The stored weights are N(0, weight_std^2), multiplied by
    sqrt(2 / fan_in) / weight_std in the forward pass; the loss is loss_mult
    times the batch-mean cross-entropy; the step on the stored weights is
    rescaled to match. So in exact arithmetic every run with the same lr and
    seed is the same Kaiming-initialized network taking the same steps (the
    seed draws the weights and the order of the batches): only where its
    tensors sit in the number format differs. With fp8=True every matmul
    reads its input and weights rounded to E4M3 and the gradient of its
    (rescaled) output rounded to E5M2, as fp8 training does; sums stay
    float32. weight_std moves only the weights, loss_mult the gradients."""
    Xtr, ytr, Xte, yte = digits_split()
    fwd, bwd = (E4M3, E5M2) if fp8 else (None, None)
    R = len(runs)

    def column(i):
        return torch.tensor([run[i] for run in runs]).view(R, 1, 1)

    s, c, lr = column(0), column(1), column(2)
    gains = [(2 / a) ** 0.5 for a in widths[:-1]]
    weights = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        w = [torch.randn(a, b, generator=torch.Generator().manual_seed(
            1000 * run[3] + i)) for run in runs]
        weights.append((torch.stack(w) * s).requires_grad_())

    def forward(x, grad_dtype, tally=None):
        h = x if x.dim() == 3 else x.expand(R, *x.shape)
        for i, w in enumerate(weights):
            h = torch.bmm(Cast.apply(h, fwd, None), Cast.apply(w, fwd, None))
            h = h * (gains[i] / s)
            h = Cast.apply(h, None, grad_dtype, tally)  # the output's gradient
            if i < len(weights) - 1:
                h = torch.relu(h)
        return h

    def nll(logits, y):
        logp = torch.log_softmax(logits, -1)
        return -logp.gather(-1, y.expand(R, -1).unsqueeze(-1)).squeeze(-1)

    seeds = sorted({run[3] for run in runs})
    gens = {seed: torch.Generator().manual_seed(12345 + seed) for seed in seeds}
    # what the E5M2 rounding did: in the first and the last `window` steps
    window = steps // 10
    tallies = {when: {k: torch.zeros(R) for k in ("nonzero", "zeroed", "clipped")}
               for when in ("first", "last")}
    for step in range(steps):  # each seed its own order of batches
        batches = {seed: torch.randint(0, len(Xtr), (batch,), generator=gens[seed])
                   for seed in seeds}
        idx = torch.stack([batches[run[3]] for run in runs])  # (R, batch)
        tally = (tallies["first"] if step < window
                 else tallies["last"] if step >= steps - window else None)
        loss = c.view(R) * nll(forward(Xtr[idx], bwd, tally), ytr[idx]).mean(1)
        for w in weights:
            w.grad = None
        loss.sum().backward()  # the runs are independent: sum their losses
        with torch.no_grad():
            for w, gain in zip(weights, gains):
                w -= lr * (s / gain) ** 2 / c * w.grad
    with torch.no_grad():
        train_loss = nll(forward(Xtr, None), ytr).mean(1)
        test_acc = (forward(Xte, None).argmax(-1) == yte).float().mean(1)
    rounded = {f"zeroed_{when}": (t["zeroed"] / t["nonzero"].clamp_min(1)).tolist()
               for when, t in tallies.items()}
    clipped = (tallies["first"]["clipped"] + tallies["last"]["clipped"]).tolist()
    return {"train_loss": train_loss.tolist(), "test_acc": test_acc.tolist(),
            **rounded, "clipped": clipped}


if __name__ == "__main__":
    seeds, lr = [0, 1], 0.3  # the page: 5 seeds, each arm's best lr
    for name, weight_std, loss_mult in [
        ("unit scale", 1.0, 1.0), ("weights x 2^-12", 2.0**-12, 1.0),
        ("weights x 2^12", 2.0**12, 1.0), ("loss x 2^-12", 1.0, 2.0**-12),
    ]:
        runs = [(weight_std, loss_mult, lr, seed) for seed in seeds]
        for fp8 in [False, True]:
            loss = train(runs, fp8)["train_loss"]
            print(f"{name:16s} {'fp8 ' if fp8 else 'fp32'} training loss "
                  + " ".join(f"{v:.3f}" for v in loss))
# --8<-- [end:training]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (the training sweep over
# {{ number_formats.training.seeds | length }} seeds and {{ number_formats.training.lrs | length }} learning rates per arm) and returns every
# number the page quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验（训练扫描中每组实验用{{ number_formats.training.seeds | length }}个随机种子和
# {{ number_formats.training.lrs | length }}个学习率），返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import functools
import inspect
import json
import math

from scipy import special

import matplotlib.pyplot as plt
import numpy as np

SEEDS = [0, 1, 2, 3, 4]
LRS = [0.1, 0.3, 1.0, 3.0]  # each arm's best is picked from these
STEADY_LR_INDEX = 1  # 0.3: one step below the usual best, where runs end steadily
NO_COST = 1.2  # "no measurable cost": the steady-rate loss within 20 % of unit scale's
# (a CPU's rounding moves these losses by a few percent)
SIGMAS = np.logspace(-10, 6, 65).tolist()  # the cast sweep, 4 points a decade
WEIGHT_EXPONENTS = [-12, -10, -8, -4, 0, 4, 8, 10, 12]  # weights stored at std 2^k (E4M3)
LOSS_EXPONENTS = [-12, -10, -8, -4, 0, 8, 16, 20]  # loss multiplied by 2^k (E5M2)
TRAINS = 0.1  # a run "trains" if its median training loss ends below this
BAND_TOLERANCE = 1.25  # "flat": within 25 % of the error at sigma = 1


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _run_around(ok: list, i: int) -> tuple:
    """The first and last index of the run of True in `ok` that contains index i."""
    lo, hi = i, i
    while lo > 0 and ok[lo - 1]:
        lo -= 1
    while hi < len(ok) - 1 and ok[hi + 1]:
        hi += 1
    return lo, hi


@functools.cache  # the page's sweep, shared by results() and the explorer's data
def _cast_results() -> dict:
    sweep = [cast_error(sigma) for sigma in SIGMAS]
    names = list(sweep[0])
    curves = {name: {key: [point[name][key] for point in sweep]
                     for key in sweep[0][name]} for name in names}
    at_one = sweep[SIGMAS.index(1.0)]
    bands = {}
    for name in FORMATS:
        flat = [e <= BAND_TOLERANCE * at_one[name]["error"]
                for e in curves[name]["error"]]
        lo, hi = _run_around(flat, SIGMAS.index(1.0))
        bands[name] = {"low": SIGMAS[lo], "high": SIGMAS[hi],
                       "decades": math.log10(SIGMAS[hi] / SIGMAS[lo]),
                       "middle": math.sqrt(SIGMAS[lo] * SIGMAS[hi]),
                       # the RMS error is the large entries' error: at the low edge many
                       # small entries are already subnormal or 0
                       "subnormal_at_low": curves[name]["subnormal"][lo],
                       "zero_at_low": curves[name]["zero"][lo],
                       "at_low_edge": lo == 0, "at_high_edge": hi == len(SIGMAS) - 1}
    return {
        **_defaults(cast_error),
        "int8_band": _int8_band(at_one["int8"]["error"]),
        "sigmas": SIGMAS,
        "curves": curves,
        "at_one": at_one,
        "at_tenth": cast_error(0.1),
        "at_ten": cast_error(10.0),
        "bands": bands,
        "tolerance": BAND_TOLERANCE,
        # the band's level over eps / sqrt(12), the spread of rounding within one binade
        "plateau_factor": at_one["fp16"]["error"] / (torch.finfo(torch.float16).eps / math.sqrt(12)),
        # how many decades N(0, sigma^2) itself spans: |x| below `low` for a tenth of the values,
        # above `high` for one in 10^4
        "tails": {"low_share": 0.1, "low": _normal_abs_quantile(0.1),
                  "high_share": 1e-4, "high": _normal_abs_quantile(1 - 1e-4)},
    }


def _int8_band(level: float, decades: float = 2.0, steps: int = 30) -> dict:
    """The sigma range where int8 (one scale, for sigma = 1) keeps its error within
    BAND_TOLERANCE of its level at sigma = 1, the floats' rule; edges by bisection."""
    n = _defaults(cast_error)["n"]
    z = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def flat(log_sigma: float) -> bool:
        x = 10.0**log_sigma * z
        err = ((to_int8(x, clip=4.0) - x).pow(2).mean().sqrt() / x.pow(2).mean().sqrt()).item()
        return err <= BAND_TOLERANCE * level

    edges = []
    for far in (-decades, decades):
        inside, outside = 0.0, far
        for _ in range(steps):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if flat(mid) else (inside, mid)
        edges.append(10.0**inside)
    return {"low": edges[0], "high": edges[1], "decades": math.log10(edges[1] / edges[0])}


def _normal_sf(z: float) -> float:
    """P(x > z) for x ~ N(0, 1)."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def _normal_abs_quantile(p: float) -> float:
    """a with P(|x| < a) = p for x ~ N(0, 1)."""
    return torch.special.ndtri(torch.tensor((1 + p) / 2, dtype=torch.float64)).item()


def _gradient_results() -> dict:
    out = {**_defaults(trained_tensors)}
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16,
              "e5m2": torch.float8_e5m2, "e4m3": torch.float8_e4m3fn}
    for when, steps in [("init", 0), ("trained", out["steps"])]:
        tensors = trained_tensors(steps=steps)
        out[when] = {"loss": tensors.pop("loss"), "p_minus_y": tensors.pop("median |p - y|"),
                     "median": {}, "lost": {}}
        for kind, t in tensors.items():
            out[when]["median"][kind] = t[t != 0].abs().median().item()
        g, wg = tensors["activation grads"], tensors["weight grads"]
        for name, dtype in dtypes.items():
            # loss scaling, best case (for this batch): one scale for every gradient that is
            # cast, which in fp16 includes the weight gradients; fp8 matmuls read only the
            # activation gradients
            cast = torch.cat([g, wg]) if name in ("bf16", "fp16") else g
            scale = largest_safe_scale(cast, dtype)
            finite = math.isfinite(scale)
            out[when]["lost"][name] = {
                "plain": lost_to_zero(g, dtype),
                "scale": scale if finite else None,
                "scaled": lost_to_zero(g, dtype, scale) if finite else None,
            }
        if when == "trained":  # histograms of log10 |x| (nonzero entries)
            edges = np.linspace(-14, 2, 65)
            out["hist_edges"] = edges.tolist()
            out["hist"] = {kind: np.histogram(np.log10(t[t != 0].abs().numpy()),
                                              bins=edges)[0].tolist()
                           for kind, t in tensors.items()}
            out["kinds_count"] = {kind: int((t != 0).sum()) for kind, t in tensors.items()}
    m = out["trained"]["median"]
    out["gap_decades"] = math.log10(m["activations"] / m["activation grads"])
    out["batch_decades"] = math.log10(out["batch"])  # the batch mean's 1/batch, there from the start
    out["training_decades"] = math.log10(out["init"]["median"]["activation grads"]
                                         / m["activation grads"])
    out["floor"] = {name: torch.finfo(dtype).smallest_normal * torch.finfo(dtype).eps
                    for name, dtype in dtypes.items()}
    return out


def _arm(runs_out: dict, lrs: list) -> dict:
    """Median and range over seeds at the arm's best learning rate (lowest
    median training loss)."""
    loss = np.array(runs_out["train_loss"]).reshape(len(lrs), len(SEEDS))
    acc = np.array(runs_out["test_acc"]).reshape(len(lrs), len(SEEDS))
    median = np.median(np.nan_to_num(loss, nan=np.inf), axis=1)
    best = int(np.argmin(median))
    steady = STEADY_LR_INDEX
    return {"lr": lrs[best], "lr_index": best,
            "median": float(median[best]), "min": float(np.nanmin(loss[best])),
            "max": float(np.nanmax(loss[best])),
            "failed_seeds": int((loss[best] > 1.0).sum()),
            "acc_median": float(np.median(acc[best])),
            "median_by_lr": [float(v) for v in median],
            "steady_by_seed": [float(v) for v in loss[steady]],
            "zeroed_first": float(np.median(
                np.array(runs_out["zeroed_first"]).reshape(len(lrs), -1)[best])),
            "zeroed_last": float(np.median(
                np.array(runs_out["zeroed_last"]).reshape(len(lrs), -1)[best])),
            "clipped": int(np.array(runs_out["clipped"]).reshape(len(lrs), -1)[best].sum())}


def _training_results() -> dict:
    arms = ([("weights", k) for k in WEIGHT_EXPONENTS]
            + [("loss", k) for k in LOSS_EXPONENTS])
    # float32 controls: the same networks at the extreme offsets and at unit scale
    controls = [("weights", WEIGHT_EXPONENTS[0]), ("weights", WEIGHT_EXPONENTS[-1]),
                ("loss", LOSS_EXPONENTS[0]), ("loss", LOSS_EXPONENTS[-1]), ("weights", 0)]
    out = {**_defaults(train), "seeds": SEEDS, "lrs": LRS, "trains_below": TRAINS,
           "weight_exponents": WEIGHT_EXPONENTS, "loss_exponents": LOSS_EXPONENTS,
           "kaiming_std": (2 / 64) ** 0.5, "chance": math.log(10)}
    per_arm = len(LRS) * len(SEEDS)
    for key, fp8, arm_list in [("fp8", True, arms), ("fp32", False, controls)]:
        runs = [(2.0**k if panel == "weights" else 1.0, 2.0**k if panel == "loss" else 1.0, lr, seed)
                for panel, k in arm_list for lr in LRS for seed in SEEDS]
        result = train(runs, fp8)
        out[key] = {"weights": {}, "loss": {}}
        for j, (panel, k) in enumerate(arm_list):
            part = {name: v[j * per_arm:(j + 1) * per_arm] for name, v in result.items()}
            out[key][panel][str(k)] = _arm(part, LRS)
    # the share of stored weights beyond E4M3's largest number, clipped, at each std 2^k
    big = torch.finfo(E4M3).max
    out["clipped"] = {str(k): 2 * float(_normal_sf(big / 2.0**k)) for k in WEIGHT_EXPONENTS}
    out["unit_fp8"] = out["fp8"]["weights"]["0"]
    out["unit_fp32"] = out["fp32"]["weights"]["0"]
    # the best rate sits next to the edge of stability, where a run ends wherever its last steps
    # leave it; one step lower the runs are steady and the two formats can be compared
    out["steady_lr"] = LRS[STEADY_LR_INDEX]
    out["unit_fp8_steady"] = out["unit_fp8"]["median_by_lr"][STEADY_LR_INDEX]
    out["unit_fp32_steady"] = out["unit_fp32"]["median_by_lr"][STEADY_LR_INDEX]
    # the same seeds in both formats: fp8 minus float32, relative to float32
    pairs = zip(out["unit_fp8"]["steady_by_seed"], out["unit_fp32"]["steady_by_seed"])
    paired = [(a - b) / b for a, b in pairs]
    out["steady_paired"] = {"min": min(paired), "max": max(paired)}
    # at the steady rate, each arm's loss against unit scale's (medians over seeds); the
    # offsets around unit scale where it stays within NO_COST
    out["no_cost_within"] = NO_COST - 1
    for panel, exponents in [("weights", WEIGHT_EXPONENTS), ("loss", LOSS_EXPONENTS)]:
        ratio = {k: out["fp8"][panel][str(k)]["median_by_lr"][STEADY_LR_INDEX]
                 / out["unit_fp8_steady"] for k in exponents}
        lo, hi = _run_around([ratio[k] <= NO_COST for k in exponents], exponents.index(0))
        out[f"{panel}_steady_ratio"] = {str(k): v for k, v in ratio.items()}
        out[f"{panel}_no_cost"] = {"low": exponents[lo], "high": exponents[hi]}
    # stored weights N(0, 2^2k) that are E4M3 subnormals or 0 at initialization
    normal = torch.finfo(E4M3).smallest_normal
    out["subnormal"] = {str(k): 1 - 2 * float(_normal_sf(normal / 2.0**k)) for k in WEIGHT_EXPONENTS}
    # the offsets at which fp8 trains: median training loss below TRAINS
    for panel, exponents in [("weights", WEIGHT_EXPONENTS), ("loss", LOSS_EXPONENTS)]:
        ok = [k for k in exponents if out["fp8"][panel][str(k)]["median"] < TRAINS]
        out[f"{panel}_ok"] = {"low": min(ok), "high": max(ok),
                              "low_median": out["fp8"][panel][str(min(ok))]["median"]}
    return out


def _format_results() -> dict:
    table = format_table()
    for f in table.values():
        f["normal_decades"] = math.log10(f["max"] / f["smallest_normal"])
    return table


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    return {
        "formats": _format_results(),
        "bf16_over_fp16_eps": torch.finfo(torch.bfloat16).eps / torch.finfo(torch.float16).eps,
        "cast": _cast_results(),
        "gradients": _gradient_results(),
        "training": _training_results(),
    }


LABELS = {
    "en": {
        "sigma": "σ of the tensor, x ~ N(0, σ²)",
        "error": "relative RMS error of the cast",
        "lost": "share of values lost",
        "zero": "{name}: rounded to 0",
        "overflow": "{name}: beyond the largest number",
        "int8": "int8, one scale for σ = 1",
        "unit": "σ = 1",
        "log_value": "log₁₀ |value| (nonzero entries)",
        "count": "share of entries per bin",
        "weights": "weights",
        "activations": "activations",
        "weight grads": "weight gradients",
        "activation grads": "activation gradients",
        "floor": "smallest {name} number",
        "weights_panel": "weights stored at std s (read as E4M3)",
        "loss_panel": "loss multiplied by c (gradients read as E5M2)",
        "weight_std": "std s of the stored weights",
        "loss_mult": "loss multiplier c",
        "train_loss": "training loss at the best learning rate",
        "fp8": "fp8, median and range of {n} seeds",
        "fp32": "float32 (the same network)",
        "kaiming": "Kaiming",
        "chance": "chance level",
        "explorer_title": "Explore: where N(0, σ²) falls on a number format's scale",
        "explorer_format": "format",
        "explorer_sigma": "σ",
        "explorer_window_title": "Density of log₁₀ |x| and the format's thresholds",
        "explorer_clipped": " (beyond the axis: dotted along its edge)",
        "explorer_log_abs": "log₁₀ |x|",
        "explorer_density": "density per decade",
        "explorer_density_label": "x ~ N(0, σ²)",
        "explorer_zero_line": "below: rounded to 0",
        "explorer_normal_line": "below: subnormal (or 0)",
        "explorer_max_line": "above: clipped to the largest number (the page's saturating cast)",
        "explorer_error_title": "Relative RMS error of the cast ({n} draws, as in the error figure earlier on the page)",
        "explorer_error_curve": "this format at every σ",
        "explorer_here": "this σ",
        "explorer_read_zero_at": "rounded to 0 below |x| =",
        "explorer_read_normal_at": "subnormal below",
        "explorer_read_max_at": "clipped above",
        "explorer_read_zero": "rounded to 0: share of the values",
        "explorer_read_subnormal": "subnormal: share of the values",
        "explorer_read_overflow": "clipped: share of the values",
        "explorer_read_energy_zero": "rounded to 0: share of ‖x‖²",
        "explorer_read_energy_subnormal": "subnormal: share of ‖x‖²",
        "explorer_read_energy_overflow": "clipped: share of ‖x‖²",
        "explorer_read_error": "relative RMS error (one draw of {n})",
    },
    "zh": {
        "sigma": "张量的σ，x ~ N(0, σ²)",
        "error": "转换的相对均方根误差",
        "lost": "丢失的值所占比例",
        "zero": "{name}：舍入为0",
        "overflow": "{name}：超出最大数",
        "int8": "int8，按σ = 1选定的单一缩放因子",
        "unit": "σ = 1",
        "log_value": "log₁₀ |值|（非零元素）",
        "count": "各分箱中元素所占比例",
        "weights": "权重",
        "activations": "激活值",
        "weight grads": "权重梯度",
        "activation grads": "激活值梯度",
        "floor": "{name}的最小正数",
        "weights_panel": "权重以标准差s存储（按E4M3读取）",
        "loss_panel": "损失乘以c（梯度按E5M2读取）",
        "weight_std": "所存权重的标准差s",
        "loss_mult": "损失乘数c",
        "train_loss": "最佳学习率下的训练损失",
        "fp8": "fp8，{n}个随机种子的中位数与范围",
        "fp32": "float32（同一个网络）",
        "kaiming": "Kaiming",
        "chance": "随机猜测",
        "explorer_title": "动手试试：N(0, σ²)落在数值格式刻度上的什么位置",
        "explorer_format": "格式",
        "explorer_sigma": "σ",
        "explorer_window_title": "log₁₀ |x|的密度与当前格式的各个阈值",
        "explorer_clipped": "（超出坐标轴的部分沿边缘画成点线）",
        "explorer_log_abs": "log₁₀ |x|",
        "explorer_density": "每个数量级上的密度",
        "explorer_density_label": "x ~ N(0, σ²)",
        "explorer_zero_line": "低于此线：舍入为0",
        "explorer_normal_line": "低于此线：次正规数（或0）",
        "explorer_max_line": "高于此线：裁剪到最大数（本页采用饱和转换）",
        "explorer_error_title": "转换的相对均方根误差（{n}个样本，与前文的误差图相同）",
        "explorer_error_curve": "当前格式在各个σ下",
        "explorer_here": "当前σ",
        "explorer_read_zero_at": "|x|低于此值时舍入为0：",
        "explorer_read_normal_at": "低于此值时成为次正规数：",
        "explorer_read_max_at": "高于此值时被裁剪：",
        "explorer_read_zero": "舍入为0：占值的比例",
        "explorer_read_subnormal": "成为次正规数：占值的比例",
        "explorer_read_overflow": "被裁剪：占值的比例",
        "explorer_read_energy_zero": "舍入为0：占‖x‖²的比例",
        "explorer_read_energy_subnormal": "成为次正规数：占‖x‖²的比例",
        "explorer_read_energy_overflow": "被裁剪：占‖x‖²的比例",
        "explorer_read_error": "相对均方根误差（{n}个样本的一次抽样）",
    },
}

COLORS = {"fp32": "C7", "bf16": "C0", "fp16": "C1", "e4m3": "C2", "e5m2": "C3",
          "int8": "C4"}
NAMES = {"fp32": "fp32", "bf16": "bf16", "fp16": "fp16", "e4m3": "fp8 E4M3",
         "e5m2": "fp8 E5M2"}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    c = res["cast"]
    sig = np.array(c["sigmas"])

    # Relative error of the cast against the scale
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for name, color in COLORS.items():
        err = np.array(c["curves"][name]["error"])
        label = L["int8"] if name == "int8" else NAMES[name]
        ax.plot(sig, np.maximum(err, 1e-9), color=color, label=label,
                linestyle="--" if name == "int8" else "-")
    ax.axvline(1.0, color="C7", linestyle=":", label=L["unit"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-9, 2)
    ax.set_xlabel(L["sigma"])
    ax.set_ylabel(L["error"])
    ax.legend(fontsize="small", ncol=2, loc="lower left")
    figs["cast_error"] = fig

    # Values lost at the bottom (rounded to 0) and the top (overflow)
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    for name in ["fp16", "e5m2", "e4m3"]:
        curve = c["curves"][name]
        ax.plot(sig, curve["zero"], color=COLORS[name], label=L["zero"].format(name=NAMES[name]))
        ax.plot(sig, curve["overflow"], color=COLORS[name], linestyle="--",
                label=L["overflow"].format(name=NAMES[name]))
    ax.axvline(1.0, color="C7", linestyle=":")
    ax.set_xscale("log")
    ax.set_xlabel(L["sigma"])
    ax.set_ylabel(L["lost"])
    fig.legend(fontsize="small", ncol=2, loc="outside lower center")
    figs["lost"] = fig

    # Where the tensors of a trained network sit
    g = res["gradients"]
    edges = np.array(g["hist_edges"])
    centers = (edges[:-1] + edges[1:]) / 2
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for kind, color in [("weights", "C0"), ("activations", "C1"),
                        ("weight grads", "C2"), ("activation grads", "C3")]:
        share = np.array(g["hist"][kind]) / g["kinds_count"][kind]
        ax.step(centers, share, where="mid", color=color, label=L[kind])
    for name, style in [("fp16", "--"), ("e5m2", "-."), ("e4m3", ":")]:
        ax.axvline(np.log10(g["floor"][name]), color="C7", linestyle=style,
                   label=L["floor"].format(name=NAMES[name]))
    ax.set_xlabel(L["log_value"])
    ax.set_ylabel(L["count"])
    ax.legend(fontsize="small", loc="upper left")
    figs["tensors"] = fig

    # Training in fp8 with the tensors placed at other scales
    t = res["training"]
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 7.2), layout="constrained")
    for ax, panel, exponents, xlabel in [
        (axes[0], "weights", t["weight_exponents"], "weight_std"),
        (axes[1], "loss", t["loss_exponents"], "loss_mult"),
    ]:
        offsets = [2.0**k for k in exponents]
        arms = [t["fp8"][panel][str(k)] for k in exponents]
        med = np.array([a["median"] for a in arms])
        lo = np.array([a["min"] for a in arms])
        hi = np.array([a["max"] for a in arms])
        ax.errorbar(offsets, med, yerr=[med - lo, hi - med], color="C0", marker="o",
                    capsize=3, label=L["fp8"].format(n=len(t["seeds"])))
        controls = t["fp32"][panel]
        xs = [2.0 ** int(k) for k in controls]
        ax.plot(xs, [controls[k]["median"] for k in controls], color="C7",
                marker="s", linestyle="none", label=L["fp32"])
        ax.axhline(t["chance"], color="C7", linestyle=":", label=L["chance"])
        if panel == "weights":
            ax.axvline(t["kaiming_std"], color="C1", linestyle="--", label=L["kaiming"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(L[xlabel])
        ax.set_ylabel(L["train_loss"])
        ax.set_title(L[f"{panel}_panel"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize="small", ncol=2, loc="outside lower center")
    figs["training"] = fig
    return figs


# The page's explorer (an interactive figure; the site's script draws it from this data).
EXPLORER_FORMATS = [*FORMATS, "int8"]
INT8_CLIP = 4.0  # as in cast_error: int8 with one scale chosen for sigma = 1
EXPLORER_LOG_RANGE = (-12.0, 8.0)  # the chart's log10 |x| axis: the sweep's sigmas and 2 decades more


def format_window(name: str) -> dict:
    """Where a format's numbers are, as |x| thresholds for a round-to-nearest cast: below `zero`
    a value becomes 0 (half the smallest positive number), below `normal` it lands among the
    subnormals (floats; rounding up to the smallest normal number from half a subnormal step
    below it), above `max` it is clipped (the saturating cast of to_format)."""
    if name == "int8":
        step = INT8_CLIP / 127
        return {"zero": step / 2, "normal": None, "max": INT8_CLIP}
    info = torch.finfo(FORMATS[name])
    subnormal = info.smallest_normal * info.eps  # the smallest positive number (format_table)
    return {"zero": subnormal / 2, "normal": info.smallest_normal - subnormal / 2, "max": info.max}


def normal_shares(sigma: float, window: dict) -> dict:
    """Exact shares of x ~ N(0, sigma^2) that the cast sends to 0, to a subnormal, or clips: of the
    values, and of the squared norm (what the relative RMS error weighs), E[x^2; ...] / sigma^2.
    For z = |x| / sigma: P(z < a) = P(a, 1/2) and E[z^2; z < a] = P(a, 3/2) (regularized incomplete
    gamma functions of a^2 / 2); each band is a difference of lower or of upper tails, whichever
    does not cancel (a subnormal share of 1e-22 is not 1 - 1)."""
    def band(lo: float, hi: float, k: float) -> float:  # P or E[z^2] over lo <= z < hi
        lo, hi = (lo / sigma) ** 2 / 2, (hi / sigma) ** 2 / 2
        if lo > 1:  # both in the upper tail
            return special.gammaincc(k, lo) - (special.gammaincc(k, hi) if math.isfinite(hi) else 0.0)
        return (special.gammainc(k, hi) if math.isfinite(hi) else 1.0) - special.gammainc(k, lo)

    out = {}
    for weight, k in [("", 0.5), ("energy_", 1.5)]:
        out[weight + "zero"] = band(0.0, window["zero"], k)
        out[weight + "subnormal"] = None if window["normal"] is None else band(window["zero"], window["normal"], k)
        out[weight + "overflow"] = band(window["max"], math.inf, k)
    return out


def log_abs_density(sigma: float, points: int = 121) -> list[list[float]]:
    """The density of log10 |x| for x ~ N(0, sigma^2), per decade, over the 6 decades around sigma
    that hold all but 3e-5 of it: 2 phi(10^y / sigma) 10^y ln 10 / sigma."""
    y = np.linspace(-4.5, 1.5, points) + math.log10(sigma)
    u = 10**y / sigma
    return np.stack([y, 2 * np.exp(-u * u / 2) / math.sqrt(2 * math.pi) * u * math.log(10)], 1).tolist()


def explorer_data() -> dict:
    """Every value of the page's explorer: each format at each sigma of the page's sweep."""
    c = _cast_results()
    out = {"sigmas": c["sigmas"], "formats": EXPLORER_FORMATS, "n": c["n"], "int8_clip": INT8_CLIP,
           "windows": {name: format_window(name) for name in EXPLORER_FORMATS}, "runs": {}}
    for name in EXPLORER_FORMATS:
        for i, sigma in enumerate(c["sigmas"]):
            out["runs"][f"{name}|{i}"] = {**normal_shares(sigma, out["windows"][name]),
                                          "error": c["curves"][name]["error"][i]}
    return {"window": out}


def _power_of_ten(value: float) -> str:
    """A slider's text for the sweep's sigmas, 10^(k/4): 10⁻³, 1.8×10⁻³, ..., 0.32, 1, 56, 10²."""
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = f"{value / 10**exponent:.2g}"
    if exponent in (-1, 0, 1):
        return f"{value:.2g}"
    power = "10" + str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return power if mantissa == "1" else f"{mantissa}×{power}"


def explorers(data: dict, lang: str) -> dict:
    """What the explorer shows, with its text in `lang` (sitebuild/explorers.py)."""
    L = LABELS[lang]
    w = data["window"]
    names = {**NAMES, "int8": L["int8"]}
    top = 1.2  # the vertical lines' height: above the density's peak, 2 phi(1) ln 10 = 1.11 per decade
    states = []
    for name in w["formats"]:
        window = w["windows"][name]
        lines = {key: [[math.log10(window[key]), 0.0], [math.log10(window[key]), top]]
                 for key in ["zero", "normal", "max"] if window[key] is not None}
        curve = [[s, e] for s, e in zip(w["sigmas"], (w["runs"][f"{name}|{i}"]["error"] for i in range(len(w["sigmas"]))))]
        for i, sigma in enumerate(w["sigmas"]):
            run = w["runs"][f"{name}|{i}"]
            states.append({
                "controls": {"format": name, "sigma": str(i)},
                "series": {"density": log_abs_density(sigma), "zero_line": lines["zero"],
                           "normal_line": lines.get("normal", []), "max_line": lines["max"],
                           "error_curve": curve, "here": [[sigma, run["error"]]]},
                "values": {**{key: run[key] for key in ["zero", "subnormal", "overflow", "error",
                                                         "energy_zero", "energy_subnormal", "energy_overflow"]},
                           **{f"{key}_at": window[key] for key in ["zero", "normal", "max"]}},
            })
    return {"window": {
        "title": L["explorer_title"],
        "controls": [
            {"name": "format", "label": L["explorer_format"],
             "options": [{"value": n, "text": names[n]} for n in w["formats"]], "value": "e4m3"},
            {"name": "sigma", "label": L["explorer_sigma"], "kind": "range",
             "options": [{"value": str(i), "text": _power_of_ten(s)} for i, s in enumerate(w["sigmas"])],
             "value": str(w["sigmas"].index(1.0)),
             "marks": [{"value": str(w["sigmas"].index(1.0)), "text": L["unit"]}]},
        ],
        "charts": [
            {"title": L["explorer_window_title"] + L["explorer_clipped"],
             "x": {"label": L["explorer_log_abs"], "range": list(EXPLORER_LOG_RANGE)},
             "y": {"label": L["explorer_density"], "range": [0, top]},
             "series": [{"key": "density", "label": L["explorer_density_label"], "color": "C0", "kind": "line"},
                        {"key": "zero_line", "label": L["explorer_zero_line"], "color": "C3", "kind": "line", "dashed": True},
                        {"key": "normal_line", "label": L["explorer_normal_line"], "color": "C2", "kind": "line", "dashed": True},
                        {"key": "max_line", "label": L["explorer_max_line"], "color": "C1", "kind": "line"}]},
            {"title": L["explorer_error_title"].format(n=f"{w['n']:,}"),
             "x": {"label": L["sigma"], "scale": "log"}, "y": {"label": L["error"], "scale": "log"},
             "series": [{"key": "error_curve", "label": L["explorer_error_curve"], "color": "C7", "kind": "line"},
                        {"key": "here", "label": L["explorer_here"], "color": "C4", "kind": "points"}]},
        ],
        "readouts": [
            {"key": "zero_at", "label": L["explorer_read_zero_at"], "format": ["sci", 1]},
            {"key": "normal_at", "label": L["explorer_read_normal_at"], "format": ["sci", 1]},
            {"key": "max_at", "label": L["explorer_read_max_at"], "format": ["sci", 1]},
            {"key": "zero", "label": L["explorer_read_zero"], "format": ["share", 1]},
            {"key": "energy_zero", "label": L["explorer_read_energy_zero"], "format": ["share", 1]},
            {"key": "subnormal", "label": L["explorer_read_subnormal"], "format": ["share", 1]},
            {"key": "energy_subnormal", "label": L["explorer_read_energy_subnormal"], "format": ["share", 1]},
            {"key": "overflow", "label": L["explorer_read_overflow"], "format": ["share", 1]},
            {"key": "energy_overflow", "label": L["explorer_read_energy_overflow"], "format": ["share", 1]},
            {"key": "error", "label": L["explorer_read_error"].format(n=f"{w['n']:,}"), "format": ["sci", 1]},
        ],
        "states": states,
    }}


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
