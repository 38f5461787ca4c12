# %% [markdown] lang="en"
# # Residual scaling and the output layer
#
# The notebook of the page [*Residual scaling and the output layer*]({{ page_url }}) of *Why N(0, 1)?*.
# Each section below runs one experiment of the page and prints what it found; the last cell computes
# every number the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 残差缩放与输出层
#
# 这是《为什么是N(0, 1)？》中[残差缩放与输出层]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，
# 并打印实验结果；最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Variance on the residual stream
#
# Stacks of nanoGPT's MLP branch at GPT-2 small's width d = {{ residual_scaling.stream.d }}, every weight
# N(0, 0.02²), on a stream that starts as {{ residual_scaling.stream.tokens }} tokens of N(0, 1) noise: Pre-LN
# (each branch reads LayerNorm(x), as in GPT-2) and without LayerNorm, with c_proj drawn at 0.02 or at
# 0.02/√N. The cell prints the stream's mean square after 6, 12, 24 and 48 unscaled branches and at the end
# of each scaled stack ({{ fig("stream") }}). With Pre-LN the unscaled stream grows linearly, to
# {{ residual_scaling.stream.pre_end | fixed(2) }} after {{ residual_scaling.stream.n_max }} branches (theory
# {{ residual_scaling.stream.pre_end_theory | fixed(2) }}); without LayerNorm it grows multiplicatively, to
# {{ residual_scaling.stream.no_end | fixed(0) }}. With 0.02/√N the end of the stream no longer depends on N:
# between {{ residual_scaling.stream.pre_scaled_range[0] | fixed(3) }} and {{ residual_scaling.stream.pre_scaled_range[1] | fixed(3) }}
# with Pre-LN, between {{ residual_scaling.stream.no_scaled_range[0] | fixed(3) }} and
# {{ residual_scaling.stream.no_scaled_range[1] | fixed(3) }} without. The last line starts the stream at the
# scale of nanoGPT's embeddings instead: after {{ residual_scaling.stream.control.n }} Pre-LN branches its
# mean square is {{ residual_scaling.stream.control.embedding.scaled_end | fixed(3) }} with the rule and
# {{ residual_scaling.stream.control.embedding.unscaled_end | fixed(2) }} without, neither near 1. The rule
# removes the dependence on depth; it does not keep the stream at unit variance.

# %% [markdown] lang="zh"
# ## 残差流上的方差
#
# 按nanoGPT的写法搭建MLP分支并堆叠起来，宽度取GPT-2 small的d = {{ residual_scaling.stream.d }}，
# 所有权重取自N(0, 0.02²)，残差流的初值是{{ residual_scaling.stream.tokens }}个词元的N(0, 1)噪声；
# 比较Pre-LN（每个分支读入LayerNorm(x)，与GPT-2相同）和不带LayerNorm两种排布，c_proj的标准差取0.02或0.02/√N。
# 代码打印不缩放时经过6、12、24和48个分支后残差流的均方值，以及每个缩放后的堆叠末端的均方值（{{ fig("stream") }}）。
# 在Pre-LN中，不缩放的残差流线性增长，{{ residual_scaling.stream.n_max }}个分支后达到
# {{ residual_scaling.stream.pre_end | fixed(2) }}（理论值{{ residual_scaling.stream.pre_end_theory | fixed(2) }}）；
# 没有LayerNorm时则是乘性增长，达到{{ residual_scaling.stream.no_end | fixed(0) }}。用0.02/√N时，残差流末端不再依赖N：
# Pre-LN下介于{{ residual_scaling.stream.pre_scaled_range[0] | fixed(3) }}和
# {{ residual_scaling.stream.pre_scaled_range[1] | fixed(3) }}之间，
# 不带LayerNorm时介于{{ residual_scaling.stream.no_scaled_range[0] | fixed(3) }}和
# {{ residual_scaling.stream.no_scaled_range[1] | fixed(3) }}之间。最后一行改为让残差流从nanoGPT词嵌入的尺度出发：
# 经过{{ residual_scaling.stream.control.n }}个Pre-LN分支后，
# 用这条规则时均方值为{{ residual_scaling.stream.control.embedding.scaled_end | fixed(3) }}，
# 不用时为{{ residual_scaling.stream.control.embedding.unscaled_end | fixed(2) }}，都不接近1。
# 这条规则消除的是对深度的依赖，而不是让残差流保持单位方差。

# %%
# --8<-- [start:stream]
import functools
import math

import torch
import torch.nn.functional as F


@functools.cache  # deterministic: a second call with the same settings is free
def stream_variance(
    depths: tuple[int, ...] = (6, 12, 24, 48),
    d: int = 768,
    tokens: int = 64,
    std: float = 0.02,
    x0_std: float = 1.0,
    weights: str = "normal",
    arrangements: tuple[str, ...] = ("pre_ln", "no_ln"),
    seed: int = 0,
) -> dict:
    """Mean square of the residual stream x after each branch.

    Branch l: x <- x + c_proj(GELU(c_fc(u))), u = LayerNorm(x) ("pre_ln") or
    u = x ("no_ln"); c_fc is d -> 4d, c_proj 4d -> d, no biases. Every weight
    has standard deviation `std`, except that a "scaled" stack of N branches
    draws c_proj with std / sqrt(N) (nanoGPT: N = 2 * n_layer). All stacks use
    the same random draws, so they differ only in the scaling. The stream
    starts as N(0, x0_std^2) noise (nanoGPT's embeddings: x0_std = 0.028).
    """
    g = torch.Generator().manual_seed(seed)
    x0 = x0_std * torch.randn(tokens, d, generator=g)  # the stream's input
    runs = {(ln, n): x0 for ln in arrangements for n in (0, *depths)}
    # n = 0: unscaled, max(depths) branches; n > 0: scaled, n branches
    ms = {key: [x0.pow(2).mean().item()] for key in runs}
    hidden_ms = {key: [] for key in runs}  # mean square of c_fc's output
    unscaled_at = {}  # the unscaled stream after n branches, n in depths

    def draw(rows: int, cols: int) -> torch.Tensor:
        if weights == "normal":
            return torch.randn(rows, cols, generator=g)
        u = torch.rand(rows, cols, generator=g)  # same variance, not normal
        return (2 * u - 1) * math.sqrt(3)

    for layer in range(max(depths)):
        c_fc = std * draw(d, 4 * d)
        c_proj = std * draw(4 * d, d)
        for (ln, n), x in runs.items():
            if n and layer >= n:
                continue  # this stack has only n branches
            u = F.layer_norm(x, (d,)) if ln == "pre_ln" else x
            h = u @ c_fc
            scale = 1 / math.sqrt(n) if n else 1.0
            x = x + scale * (F.gelu(h) @ c_proj)
            runs[(ln, n)] = x
            ms[(ln, n)].append(x.pow(2).mean().item())
            hidden_ms[(ln, n)].append(h.pow(2).mean().item())
            if n == 0 and layer + 1 in depths:
                unscaled_at[(ln, layer + 1)] = x
    out = {}
    for ln in arrangements:
        out[ln] = {("scaled_" + str(n) if n else "unscaled"): ms[(ln, n)]
                   for n in (0, *depths)}
        out[ln]["hidden_ms"] = hidden_ms[(ln, 0)]
        # do the scaled and the unscaled stack of n branches point the same
        # way after a LayerNorm? mean cosine over tokens
        out[ln]["cosine"] = {
            n: F.cosine_similarity(F.layer_norm(runs[(ln, n)], (d,)),
                                   F.layer_norm(unscaled_at[(ln, n)], (d,)),
                                   dim=1).mean().item()
            for n in depths}
    return out


if __name__ == "__main__":
    res = stream_variance()
    for ln in ("pre_ln", "no_ln"):
        un = res[ln]["unscaled"]
        print(f"{ln}: mean square of x_l, c_proj std 0.02, "
              f"l = 0, 6, 12, 24, 48: "
              + " ".join(f"{un[n]:.3f}" for n in (0, 6, 12, 24, 48)))
        print(f"{ln}: at the end of N branches, c_proj std 0.02/sqrt(N): "
              + " ".join(f"N={n}: {res[ln][f'scaled_{n}'][-1]:.3f}"
                         for n in (6, 12, 24, 48)))
    # GPT-2 small (N = 24) with nanoGPT's embeddings: wte + wpe, each N(0, 0.02^2)
    emb = stream_variance(depths=(24,), x0_std=0.02 * math.sqrt(2),
                          arrangements=("pre_ln",))["pre_ln"]
    print(f"pre_ln, input std 0.028, N = 24: mean square {emb['unscaled'][0]:.5f}"
          f" -> {emb['unscaled'][-1]:.3f} unscaled, {emb['scaled_24'][-1]:.3f}"
          f" scaled; cosine after LayerNorm {emb['cosine'][24]:.3f}")
# --8<-- [end:stream]

# %% [markdown] lang="en"
# ## The loss at initialization
#
# With logits near 0 the softmax is uniform and the cross-entropy is ln C:
# {{ residual_scaling.initial.digits.ln_c | fixed(3) }} for 10 classes, {{ residual_scaling.initial.text.ln_c | fixed(3) }}
# for 27. The cell estimates by Monte Carlo, with {{ residual_scaling.initial.n_samples | fixed(0) }} draws, the
# expected initial loss for Gaussian logits of standard deviation s that carry no information about the
# label: at s = 1 it is {{ residual_scaling.initial.digits.at_1 | fixed(2) }} for 10 classes and
# {{ residual_scaling.initial.text.at_1 | fixed(2) }} for 27, at s = 10 already
# {{ residual_scaling.initial.digits.at_10 | fixed(1) }} and {{ residual_scaling.initial.text.at_10 | fixed(1) }}: for
# large logits it grows linearly in s ({{ fig("initial_loss") }}). The figure's markers come from
# `results()`: the two networks of the next section with their output layer multiplied by m from
# {{ residual_scaling.initial.sweep_multipliers[0] }} to {{ residual_scaling.initial.sweep_multipliers[-1] }}. With
# PyTorch's default output layer (m = 1) they start at {{ residual_scaling.initial.digits.sweep[3].loss | fixed(3) }}
# and {{ residual_scaling.initial.text.sweep[3].loss | fixed(3) }}, close to ln C; with
# m = {{ residual_scaling.initial.sweep_multipliers[-1] }}, at {{ residual_scaling.initial.digits.sweep[-1].loss | fixed(1) }}
# and {{ residual_scaling.initial.text.sweep[-1].loss | fixed(1) }}.

# %% [markdown] lang="zh"
# ## 初始化时的损失
#
# logit接近0时，softmax是均匀分布，交叉熵等于ln C：10个类别时为{{ residual_scaling.initial.digits.ln_c | fixed(3) }}，
# 27个类别时为{{ residual_scaling.initial.text.ln_c | fixed(3) }}。对标准差为s、不含任何标签信息的高斯logit，
# 代码用{{ residual_scaling.initial.n_samples | fixed(0) }}次抽样做蒙特卡洛估计，求初始损失的期望：s = 1时，
# 10个类别为{{ residual_scaling.initial.digits.at_1 | fixed(2) }}，
# 27个类别为{{ residual_scaling.initial.text.at_1 | fixed(2) }}；
# s = 10时已经分别是{{ residual_scaling.initial.digits.at_10 | fixed(1) }}和
# {{ residual_scaling.initial.text.at_10 | fixed(1) }}：logit很大时，损失随s线性增长（{{ fig("initial_loss") }}）。
# 图中的标记来自`results()`：下一节的两个网络，输出层乘以从{{ residual_scaling.initial.sweep_multipliers[0] }}到
# {{ residual_scaling.initial.sweep_multipliers[-1] }}的m。使用PyTorch默认的输出层（m = 1）时，
# 初始损失为{{ residual_scaling.initial.digits.sweep[3].loss | fixed(3) }}和
# {{ residual_scaling.initial.text.sweep[3].loss | fixed(3) }}，接近ln C；
# m = {{ residual_scaling.initial.sweep_multipliers[-1] }}时为
# {{ residual_scaling.initial.digits.sweep[-1].loss | fixed(1) }}和{{ residual_scaling.initial.text.sweep[-1].loss | fixed(1) }}。

# %%
# --8<-- [start:initial_loss]
import math

import torch
import torch.nn.functional as F


def expected_initial_loss(
    stds: list[float], n_classes: int, n_samples: int = 20_000, seed: int = 0
) -> list[float]:
    """E[cross-entropy] for logits z ~ N(0, s^2 I) and a label independent of z.

    The same draws serve every s (common random numbers): a smooth curve.
    """
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n_samples, n_classes, generator=g, dtype=torch.float64)
    y = torch.randint(0, n_classes, (n_samples,), generator=g)
    return [F.cross_entropy(s * z, y).item() for s in stds]


if __name__ == "__main__":
    stds = [0.01, 0.3, 1.0, 3.0, 10.0, 30.0]
    for c in (10, 27):
        losses = expected_initial_loss(stds, c)
        print(f"C = {c}: ln C = {math.log(c):.3f}; logit std s -> E[loss]: "
              + ", ".join(f"{s:g}: {v:.3f}" for s, v in zip(stds, losses)))
# --8<-- [end:initial_loss]

# %% [markdown] lang="en"
# ## Too-large output weights, on two tasks
#
# Two small networks with PyTorch's default initialization except the output layer, whose weight and bias
# are multiplied by m = {{ residual_scaling.output.multipliers | join(", ") }}: an MLP on the 8×8 digits, and a
# character model that predicts the next of 27 symbols from the previous {{ residual_scaling.output.context }}
# in Python's help texts. Both train with Adam for {{ residual_scaling.output.steps }} steps, each m at its own
# learning rate (the best of {{ residual_scaling.output.lrs | join(", ") }} on the first
# {{ residual_scaling.output.tune_seeds }} seeds), and the cell prints medians over
# {{ residual_scaling.output.seeds | length }} seeds of the validation loss at the start and the end, the test
# loss and accuracy, and the logit std ({{ fig("training") }}). For the characters the × 30 head starts at
# {{ residual_scaling.output.text.summary["30"].loss_0.median | fixed(1) }}; from the same runs the page measures
# that it needs {{ residual_scaling.output.text.summary["30"].steps_to_ln_c.median | fixed(0) }} steps to get back
# below ln 27, and after {{ residual_scaling.output.steps }} steps is only where the default was at step
# {{ residual_scaling.output.text.summary["30"].default_equivalent_step.median | fixed(0) }}. On the digits its
# accuracy is close to the default's ({{ residual_scaling.output.digits.summary["30"].accuracy.median | pct(1) }}
# against {{ residual_scaling.output.digits.summary["1"].accuracy.median | pct(1) }}), but its test loss is
# {{ (residual_scaling.output.digits.summary["30"].test_loss.median / residual_scaling.output.digits.summary["1"].test_loss.median) | fixed(1) }}
# times the default's: its mistakes are confident ones.

# %% [markdown] lang="zh"
# ## 输出权重过大：两个任务
#
# 两个小网络除输出层外都用PyTorch的默认初始化，输出层的权重和偏置乘以
# m = {{ residual_scaling.output.multipliers | join("、") }}：一个是8×8手写数字上的MLP，一个是字符模型，
# 在Python的帮助文本上根据前{{ residual_scaling.output.context }}个字符预测27个符号中的下一个。
# 两者都用Adam训练{{ residual_scaling.output.steps }}步，
# 每个m各用自己的学习率（在前{{ residual_scaling.output.tune_seeds }}个随机种子上从
# {{ residual_scaling.output.lrs | join("、") }}中选最好的）。
# 代码打印{{ residual_scaling.output.seeds | length }}个随机种子的中位数：开始和结束时的验证集损失、测试损失和准确率，
# 以及logit的标准差（{{ fig("training") }}）。对字符模型，
# 输出层乘以30时初始损失为{{ residual_scaling.output.text.summary["30"].loss_0.median | fixed(1) }}；
# 页面用这些运行测得，它要{{ residual_scaling.output.text.summary["30"].steps_to_ln_c.median | fixed(0) }}步才回到ln 27
# 以下，{{ residual_scaling.output.steps }}步之后也只达到默认输出层第
# {{ residual_scaling.output.text.summary["30"].default_equivalent_step.median | fixed(0) }}步的水平。在手写数字上，
# 它的准确率与默认输出层相近（{{ residual_scaling.output.digits.summary["30"].accuracy.median | pct(1) }}对
# {{ residual_scaling.output.digits.summary["1"].accuracy.median | pct(1) }}），
# 测试损失却是默认输出层的
# {{ (residual_scaling.output.digits.summary["30"].test_loss.median / residual_scaling.output.digits.summary["1"].test_loss.median) | fixed(1) }}
# 倍：它的错误都是高置信度的错误。

# %%
# --8<-- [start:output_layer]
import copy
import functools
import math
import re
from pydoc_data.topics import topics  # Python's own help texts (stdlib)

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn


@functools.cache
def digits_data() -> tuple:
    """8x8 digits, stratified 75/25 split, standardized per pixel (train)."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = (torch.tensor(scaler.transform(a), dtype=torch.float32)
                  for a in (X_tr, X_te))
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


@functools.cache
def text_data(context: int = 3) -> tuple:
    """Next-character prediction on Python's help texts, lowercased, every
    run of non-letters turned into one space: 27 symbols. First 90% train."""
    text = " ".join(topics[k] for k in sorted(topics)).lower()
    text = re.sub(r"[^a-z]+", " ", text)
    ids = torch.tensor(list(text.encode("ascii"))) - 96  # a..z -> 1..26
    ids[ids < 0] = 0  # space -> 0
    X = torch.stack([ids[i : len(ids) - context + i]
                     for i in range(context)], dim=1)
    y = ids[context:]
    n_train = int(0.9 * len(y))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make_net(task: str, hidden: int = 128) -> nn.Sequential:
    """PyTorch's default initialization everywhere; net[-1] is the head."""
    if task == "digits":
        return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(),
                             nn.Linear(hidden, 10))
    return nn.Sequential(nn.Embedding(27, 16), nn.Flatten(),  # 3 chars
                         nn.Linear(3 * 16, hidden), nn.ReLU(),
                         nn.Linear(hidden, 27))


@functools.cache  # deterministic: a second call with the same settings is free
def train(
    task: str,
    arms: tuple[tuple[float, float, int], ...],
    steps: int = 200,
    batch: int = 64,
    n_eval: int = 500,
) -> dict:
    """One network per arm (m, lr, seed), all trained side by side by Adam on
    minibatches; the head's weight and bias are multiplied by m first.

    The held-out data are split in two: validation (curves, choice of lr) and
    test (the final numbers), n_eval each (digits: half the test images each).
    A seed fixes the initial weights and the minibatches, whatever m and lr.
    """
    X_tr, y_tr, X_ho, y_ho = digits_data() if task == "digits" else text_data()
    n = min(n_eval, len(y_ho) // 2)
    X_val, y_val, X_te, y_te = X_ho[:n], y_ho[:n], X_ho[n:2 * n], y_ho[n:2 * n]
    nets = []
    for m, _, seed in arms:
        torch.manual_seed(seed)
        net = make_net(task)
        with torch.no_grad():
            net[-1].weight.mul_(m)
            net[-1].bias.mul_(m)
        nets.append(net)
    # stack the K networks' parameters; vmap runs them as one batched network
    params, _ = torch.func.stack_module_state(nets)
    base = copy.deepcopy(nets[0]).to("meta")

    def forward(p, x):
        return torch.func.functional_call(base, p, (x,))

    per_net = torch.vmap(forward)  # each net its own minibatch
    shared = torch.vmap(forward, in_dims=(0, None))  # all nets, same data
    K = len(arms)
    lr = torch.tensor([a[1] for a in arms])
    seeds = sorted({a[2] for a in arms})
    seed_of = torch.tensor([seeds.index(a[2]) for a in arms])
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    adam = {k: (torch.zeros_like(p), torch.zeros_like(p)) for k, p in params.items()}
    eval_steps = [s for s in sorted({*range(0, 21, 2), *range(20, 61, 4),
                                     *range(60, steps + 1, 20), steps}) if s <= steps]

    def evaluate(X, y):
        with torch.no_grad():
            z = shared(params, X)  # (K, examples, classes)
            loss = F.cross_entropy(z.transpose(1, 2), y.expand(K, -1),
                                   reduction="none")  # (K, examples)
        return z, loss

    curve, logit_std = [], []
    for step in range(steps + 1):
        if step in eval_steps:
            z, loss = evaluate(X_val, y_val)
            curve.append(loss.mean(1))
            logit_std.append(z.flatten(1).std(1))
        if step == steps:
            break
        idx = torch.stack([torch.randint(0, len(y_tr), (batch,), generator=g)
                           for g in gens])[seed_of]  # (K, batch)
        z = per_net(params, X_tr[idx])
        # the sum over networks: each gets the gradient of its own mean loss
        loss = F.cross_entropy(z.flatten(0, 1), y_tr[idx].flatten(),
                               reduction="sum") / batch
        grads = torch.autograd.grad(loss, list(params.values()))
        with torch.no_grad():  # Adam (PyTorch's defaults), one lr per network
            for (k, p), grad in zip(params.items(), grads):
                m1, m2 = adam[k]
                m1.lerp_(grad, 1 - 0.9)
                m2.lerp_(grad * grad, 1 - 0.999)
                t = step + 1
                step_size = lr.view(-1, *[1] * (p.dim() - 1)) / (1 - 0.9**t)
                p -= step_size * m1 / ((m2 / (1 - 0.999**t)).sqrt() + 1e-8)
    z, loss = evaluate(X_te, y_te)
    wrong = z.argmax(2) != y_te
    loss_wrong = (loss * wrong).sum(1) / wrong.sum(1).clamp(min=1)
    curve, logit_std = torch.stack(curve, 1), torch.stack(logit_std, 1)
    return {"steps": eval_steps, "runs": [{
        "m": m, "lr": lr_, "seed": seed,
        "loss": curve[i].tolist(),  # validation loss at eval_steps
        "logit_std": logit_std[i].tolist(),
        "test_loss": loss[i].mean().item(),
        "test_accuracy": 1 - wrong[i].float().mean().item(),
        # mean loss on the misclassified test examples: how confident the errors are
        "test_loss_wrong": loss_wrong[i].item(),
    } for i, (m, lr_, seed) in enumerate(arms)]}


def tuned(
    task: str,
    multipliers: tuple[float, ...] = (0.01, 1, 30),
    lrs: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03),
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    tune_seeds: int = 2,
) -> dict:
    """Each head multiplier m at its own learning rate: the lr with the lowest
    mean validation loss at the end over the first tune_seeds seeds; then the
    other seeds at that lr. Returns the runs at each m's lr, all seeds."""
    sweep = train(task, tuple((m, lr, s) for m in multipliers for lr in lrs
                              for s in seeds[:tune_seeds]))
    final = {(m, lr): sum(r["loss"][-1] for r in sweep["runs"]
                          if (r["m"], r["lr"]) == (m, lr)) / tune_seeds
             for m in multipliers for lr in lrs}
    best = {m: min(lrs, key=lambda lr, m=m: final[(m, lr)]) for m in multipliers}
    rest = train(task, tuple((m, best[m], s) for m in multipliers
                             for s in seeds[tune_seeds:]))
    runs = [r for r in sweep["runs"] + rest["runs"] if r["lr"] == best[r["m"]]]
    return {"steps": sweep["steps"], "best": best, "runs": runs,
            "sweep": {f"{m:g}, {lr:g}": v for (m, lr), v in final.items()}}


if __name__ == "__main__":
    for task, c in (("digits", 10), ("text", 27)):
        res = tuned(task)
        print(f"{task}: {c} classes, ln {c} = {math.log(c):.3f}; medians over 5 "
              "seeds, each m at its own lr")
        for m, lr in res["best"].items():
            runs = [r for r in res["runs"] if r["m"] == m]

            def med(key, i=None):
                return torch.tensor([r[key] if i is None else r[key][i]
                                     for r in runs]).median().item()

            print(f"  m = {m:5g}, lr {lr:5g}: validation loss {med('loss', 0):6.3f}"
                  f" at step 0, {med('loss', -1):.3f} at step {res['steps'][-1]};"
                  f" test loss {med('test_loss'):.3f}, accuracy "
                  f"{med('test_accuracy'):.3f}; logit std {med('logit_std', 0):.2f}"
                  f" -> {med('logit_std', -1):.2f}")
# --8<-- [end:output_layer]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment as the page does and returns every number the page quotes;
# `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的设置运行全部实验，返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。
# 

# %%
import inspect
import json

import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate, special, stats

SWEEP_MULTIPLIERS = [0.01, 0.1, 0.3, 1, 3, 10, 30, 100]  # loss at step 0
SWEEP_NETS = 20  # networks (seeds) per multiplier in the sweep
CURVE_STDS = np.logspace(-3, 2.5, 56).tolist()
LIMIT_BRANCHES = 4096  # a stack deep enough to stand for N -> infinity
EMBED_STD = 0.02  # nanoGPT: wte and wpe are both N(0, 0.02^2)
GPT2_EMBED_STDS = (0.02, 0.01)  # GPT-2's src/model.py: wte, wpe
CONTROL_BRANCHES = 24  # GPT-2 small: 12 layers, 2 branches each
_HERMITE = np.polynomial.hermite_e.hermegauss(120)


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _gelu_second_moment(tau2: float) -> float:
    """E[GELU(h)^2] for h ~ N(0, tau2), GELU(h) = h * Phi(h): Gauss-Hermite."""
    t, w = _HERMITE  # nodes and weights for the weight function exp(-t^2 / 2)
    h = math.sqrt(tau2) * t
    return float(np.sum(w * (h * special.ndtr(h)) ** 2) / math.sqrt(2 * math.pi))


def _expected_max_normal(c: int) -> float:
    """E[max of c independent N(0, 1)] = integral of t c phi(t) Phi(t)^(c-1)."""
    def f(t: float) -> float:
        return t * c * stats.norm.pdf(t) * special.ndtr(t) ** (c - 1)

    return integrate.quad(f, -12, 12, limit=200)[0]


def _fit_line(y: list[float]) -> dict:
    """Least-squares line through (l, y_l), l = 0..len(y)-1."""
    x = np.arange(len(y))
    slope, intercept = np.polyfit(x, y, 1)
    resid = np.asarray(y) - (slope * x + intercept)
    return {"slope": float(slope), "intercept": float(intercept),
            "max_rel_resid": float(np.max(np.abs(resid) / np.asarray(y)))}


def _mean_se(x) -> dict:
    """Mean, standard error and count of independent samples."""
    x = np.asarray(x, dtype=float)
    return {"mean": float(x.mean()), "se": float(x.std(ddof=1) / math.sqrt(len(x))),
            "n": len(x)}


def _stream_results() -> dict:
    cfg = _defaults(stream_variance)
    d, std, depths = cfg["d"], cfg["std"], list(cfg["depths"])
    n_max = max(depths)
    res = stream_variance()
    pre, no = res["pre_ln"], res["no_ln"]
    x0 = pre["unscaled"][0]
    # Pre-LN: every branch sees LayerNorm(x), |u|^2 = d, so c_fc's output has
    # variance d * std^2 and each branch adds v = 4d std^2 E[GELU(h)^2]
    hidden_var = d * std**2
    v = 4 * d * std**2 * _gelu_second_moment(hidden_var)

    def increment(q: float, scale: float = 1.0) -> float:
        """Mean-field: what one branch adds when its input has mean square q."""
        return scale**2 * 4 * d * std**2 * _gelu_second_moment(std**2 * d * q)

    def no_ln_theory(n_branches: int, scale: float) -> list[float]:
        q = [x0]  # mean-field recurrence: c_fc's output has variance std^2 d q
        for _ in range(n_branches):
            q.append(q[-1] + increment(q[-1], scale))
        return q

    un, no_un = pre["unscaled"], no["unscaled"]
    quarter = n_max // 4
    no_th = no_ln_theory(n_max, 1.0)
    factors = np.array(no_un[1:]) / np.array(no_un[:-1])
    factors_th = np.array(no_th[1:]) / np.array(no_th[:-1])
    out = {
        **cfg, "depths": depths, "n_max": n_max, "x0": x0,
        "pre_ln": pre, "no_ln": no,
        "hidden_var_theory": hidden_var,
        "hidden_ms_pre_mean": float(np.mean(pre["hidden_ms"])),
        "hidden_ms_pre_range": [min(pre["hidden_ms"]), max(pre["hidden_ms"])],
        "hidden_ms_no_last": no["hidden_ms"][-1],
        "v_theory": v,
        "pre_fit": _fit_line(un),
        "pre_end": un[-1],
        "pre_end_theory": x0 + n_max * v,
        "pre_std_ratio": math.sqrt(un[-1] / x0),
        "quarter": quarter,
        # additive growth: equal increments; multiplicative: growing ones
        "pre_increment_ratio": (un[-1] - un[-1 - quarter]) / (un[quarter] - un[0]),
        "no_increment_ratio": (no_un[-1] - no_un[-1 - quarter])
        / (no_un[quarter] - no_un[0]),
        "no_end": no_un[-1],
        # the factor by which one branch multiplies the mean square
        "no_factor": {
            "first": float(factors[0]), "last": float(factors[-1]),
            "first_quarter": float(factors[:quarter].mean()),
            "last_quarter": float(factors[-quarter:].mean()),
            "sd": float(factors.std(ddof=1)),
            "theory_first": float(factors_th[0]), "theory_last": float(factors_th[-1]),
            "theory_first_quarter": float(factors_th[:quarter].mean()),
            "theory_last_quarter": float(factors_th[-quarter:].mean()),
            # GELU -> ReLU for large inputs: E[GELU(h)^2] -> Var(h) / 2
            "relu_ceiling": 1 + 2 * (d * std**2) ** 2,
        },
        "no_theory": no_th,
        "pre_scaled_end": {str(n): pre[f"scaled_{n}"][-1] for n in depths},
        "no_scaled_end": {str(n): no[f"scaled_{n}"][-1] for n in depths},
        "pre_scaled_end_theory": x0 + v,
        "no_scaled_theory": {str(n): no_ln_theory(n, 1 / math.sqrt(n))[-1]
                             for n in depths},
        "no_scaled_limit": no_ln_theory(
            LIMIT_BRANCHES, 1 / math.sqrt(LIMIT_BRANCHES))[-1],
        "limit_branches": LIMIT_BRANCHES,
        "nanogpt": {"n_layer": 12, "c_proj_std": std / math.sqrt(2 * 12)},
    }
    out["no_theory_max_rel_error"] = max(
        abs(a - b) / b for a, b in zip(no_un, out["no_theory"]))
    for key in ("pre", "no"):
        ends = out[f"{key}_scaled_end"].values()
        out[f"{key}_scaled_range"] = [min(ends), max(ends)]

    # the input's share of the stream after N branches, and how closely the
    # scaled and the unscaled stack agree once LayerNorm removes the scale
    n_c = CONTROL_BRANCHES

    def summary(r: dict) -> dict:
        ms0 = r["unscaled"][0]
        return {
            "x0_ms": ms0,
            "unscaled_end": r["unscaled"][n_c],
            "scaled_end": r[f"scaled_{n_c}"][-1],
            "input_share_unscaled": ms0 / r["unscaled"][n_c],
            "input_share_scaled": ms0 / r[f"scaled_{n_c}"][-1],
            "cosine": r["cosine"][n_c],
        }

    emb = stream_variance(depths=(n_c,), x0_std=EMBED_STD * math.sqrt(2),
                          arrangements=("pre_ln",))["pre_ln"]
    out["control"] = {
        "n": n_c, "embed_std": EMBED_STD,
        "gpt2_x0_ms": sum(s**2 for s in GPT2_EMBED_STDS),
        "unit": summary(pre),
        "embedding": {**summary(emb), "x0_ms_theory": 2 * EMBED_STD**2,
                      "scaled_end_theory": 2 * EMBED_STD**2 + v,
                      "unscaled_end_theory": 2 * EMBED_STD**2 + n_c * v},
    }

    # normal against uniform weights of the same variance, Pre-LN: each
    # branch's increment of the mean square is an independent sample (theory: v)
    n_uni = depths[1]
    uni = stream_variance(depths=(n_uni,), weights="uniform", arrangements=("pre_ln",))
    out["uniform"] = {
        "n": n_uni,
        "normal": _mean_se(np.diff(pre["unscaled"])),
        "uniform": _mean_se(np.diff(uni["pre_ln"]["unscaled"])),
    }
    return out


def _heldout(task: str) -> tuple:
    """The held-out examples of train(): validation and test together."""
    X, y = (digits_data() if task == "digits" else text_data())[2:]
    n = min(_defaults(train)["n_eval"], len(y) // 2)
    return X[: 2 * n], y[: 2 * n]


def _initial_logits(task: str, m: float, seed: int) -> torch.Tensor:
    """Held-out logits of a freshly initialized network (as in train())."""
    torch.manual_seed(seed)
    net = make_net(task)
    with torch.no_grad():
        net[-1].weight.mul_(m)
        net[-1].bias.mul_(m)
        return net(_heldout(task)[0])


def _initial_loss_results() -> dict:
    cfg = _defaults(expected_initial_loss)
    out = {**cfg, "stds": CURVE_STDS, "sweep_multipliers": SWEEP_MULTIPLIERS,
           "sweep_nets": SWEEP_NETS}
    for c, task in ((10, "digits"), (27, "text")):
        curve = expected_initial_loss(CURVE_STDS, c)
        m_c = _expected_max_normal(c)
        log_s = np.log(CURVE_STDS)

        def predict(s, log_s=log_s, curve=curve) -> np.ndarray:
            return np.interp(np.log(s), log_s, curve)  # E[loss] at logit std s

        y = _heldout(task)[1]
        # the head's weight and bias times m multiply every logit by m
        logits = [_initial_logits(task, 1, seed) for seed in range(SWEEP_NETS)]
        sweep, spread_cv = [], []
        for m in SWEEP_MULTIPLIERS:
            losses, pooled, per_example = [], [], []
            for z1 in logits:
                z = m * z1
                losses.append(F.cross_entropy(z, y).item())
                pooled.append(z.pow(2).mean().item())
                spread = z.std(1)  # each example's own logit spread
                per_example.append(predict(spread.numpy()).mean())
                if m == 1:  # m scales every logit: the same for every m
                    spread_cv.append((spread.std() / spread.mean()).item())
            s = math.sqrt(np.mean(pooled))  # RMS logit over nets and examples
            sweep.append({
                "m": m, "logit_std": s, "loss": float(np.mean(losses)),
                "loss_sd": float(np.std(losses)),
                "predicted": float(predict(s)),
                "predicted_per_example": float(np.mean(per_example)),
            })
        out[task] = {
            "n_classes": c,
            "ln_c": math.log(c),
            "curve": curve,
            "expected_max": m_c,
            "at_small": curve[0],
            "small_theory": math.log(c) + CURVE_STDS[0] ** 2 * (c - 1) / (2 * c),
            "at_1": float(predict(1.0)),
            "at_10": float(predict(10.0)),
            "at_large_over_slope": curve[-1] / (CURVE_STDS[-1] * m_c),
            "sweep": sweep,
            "pooled_max_rel_error": max(abs(p["loss"] - p["predicted"]) / p["loss"]
                                        for p in sweep),
            "per_example_max_rel_error": max(
                abs(p["loss"] - p["predicted_per_example"]) / p["loss"]
                for p in sweep),
            # coefficient of variation of the per-example spread, mean over nets
            "spread_cv": float(np.mean(spread_cv)),
            "spread_cv_range": [min(spread_cv), max(spread_cv)],
        }
    return out


def _quartet(x) -> dict:
    """Median, smallest and largest value over seeds."""
    x = np.asarray(x, dtype=float)
    return {"median": float(np.median(x)), "min": float(x.min()), "max": float(x.max())}


def _task_results(task: str, n_classes: int) -> dict:
    ln_c = math.log(n_classes)
    r = tuned(task)
    cfg = _defaults(tuned)
    steps, seeds = r["steps"], list(cfg["seeds"])

    def runs(m: float) -> list[dict]:  # m at its own lr, in seed order
        return sorted((x for x in r["runs"] if x["m"] == m), key=lambda x: x["seed"])

    def first_step(curve: list[float], level: float) -> int:
        return next((s for s, v in zip(steps, curve) if v <= level), steps[-1])

    default = runs(1)
    summary = {}
    for m in cfg["multipliers"]:
        rs = runs(m)
        assert [x["seed"] for x in rs] == seeds
        curves = np.array([x["loss"] for x in rs])
        lr = r["best"][m]
        summary[f"{m:g}"] = {
            "lr": lr,
            "lr_is_interior": cfg["lrs"][0] < lr < cfg["lrs"][-1],
            "loss_0": _quartet(curves[:, 0]),
            "steps_to_ln_c": _quartet([first_step(c, ln_c) for c in curves]),
            "logit_std_0": _quartet([x["logit_std"][0] for x in rs]),
            "logit_std_end": _quartet([x["logit_std"][-1] for x in rs]),
            "val_loss_end": _quartet(curves[:, -1]),
            "test_loss": _quartet([x["test_loss"] for x in rs]),
            "accuracy": _quartet([x["test_accuracy"] for x in rs]),
            "test_loss_wrong": _quartet([x["test_loss_wrong"] for x in rs]),
            # per seed: the step at which the default head (its own lr, same
            # seed) first reached this arm's final validation loss
            "default_equivalent_step": _quartet([
                first_step(d["loss"], x["loss"][-1]) for x, d in zip(rs, default)]),
            # validation loss while tuning (mean of the tuning seeds): at this
            # arm's own lr and at the default head's lr
            "tuning_loss_own_lr": r["sweep"][f"{m:g}, {lr:g}"],
            "tuning_loss_default_lr": r["sweep"][f"{m:g}, {r['best'][1]:g}"],
            "curve": {"median": np.median(curves, 0).tolist(),
                      "min": curves.min(0).tolist(), "max": curves.max(0).tolist()},
        }
    return {"n_classes": n_classes, "ln_c": ln_c, "steps": steps,
            "sweep": r["sweep"], "summary": summary}


def _output_results() -> dict:
    X_tr, _, X_te, _ = digits_data()
    T_tr, _, T_ev, _ = text_data()
    cfg = _defaults(train, tuned, make_net, text_data)
    return {
        **{k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
        "digits": _task_results("digits", 10),
        "text": _task_results("text", 27),
        "digits_sizes": [len(X_tr), len(X_te)],
        "digits_eval": min(cfg["n_eval"], len(X_te) // 2),
        "text_sizes": [len(T_tr), len(T_ev)],
    }


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "stream": _stream_results(),
        "initial": _initial_loss_results(),
        "output": _output_results(),
    }


LABELS = {
    "en": {
        "pre_ln": "Pre-LN branches",
        "no_ln": "branches without LayerNorm",
        "branch": "branch index l",
        "mean_square": "mean square of the stream",
        "mean_square_log": "mean square of the stream (log)",
        "unscaled": "c_proj std 0.02",
        "scaled": "0.02/√N, N = {n}",
        "theory": "theory",
        "logit_std": "logit standard deviation s (log scale)",
        "expected_loss": "expected initial loss",
        "curve": "Gaussian logits, C = {c}",
        "bound": "s·E[max of {c}]",
        "ln_c": "ln {c}",
        "measured": "{task}, m = 0.01 … 100",
        "digits": "digits",
        "text": "characters",
        "step": "training step",
        "heldout": "validation loss (log scale)",
        "head": "head × {m}, lr {lr}",
    },
    "zh": {
        "pre_ln": "Pre-LN分支",
        "no_ln": "不带LayerNorm的分支",
        "branch": "分支序号l",
        "mean_square": "残差流的均方值",
        "mean_square_log": "残差流的均方值（对数坐标）",
        "unscaled": "c_proj标准差0.02",
        "scaled": "0.02/√N，N = {n}",
        "theory": "理论值",
        "logit_std": "logit标准差s（对数坐标）",
        "expected_loss": "初始损失的期望",
        "curve": "高斯logit，C = {c}",
        "bound": "s·E[{c}个中的最大值]",
        "ln_c": "ln {c}",
        "measured": "{task}，m = 0.01 … 100",
        "digits": "手写数字",
        "text": "字符",
        "step": "训练步数",
        "heldout": "验证集损失（对数坐标）",
        "head": "输出层×{m}，学习率{lr}",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Residual stream: mean square after each branch
    s = res["stream"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    for ax, key in zip(axes, ["pre_ln", "no_ln"]):
        un = s[key]["unscaled"]
        ax.plot(range(len(un)), un, color="C0", label=L["unscaled"])
        for i, n in enumerate(s["depths"]):
            curve = s[key][f"scaled_{n}"]
            ax.plot(range(len(curve)), curve, color=f"C{i + 1}",
                    marker="o", markevery=[len(curve) - 1], markersize=5,
                    label=L["scaled"].format(n=n))
        if key == "pre_ln":
            ls = np.arange(len(un))
            ax.plot(ls, s["x0"] + ls * s["v_theory"], color="C7",
                    linestyle="--", label=L["theory"])
            ax.set_ylim(bottom=0)
            ax.set_ylabel(L["mean_square"])
        else:
            ax.plot(range(len(s["no_theory"])), s["no_theory"], color="C7",
                    linestyle="--")
            ax.set_yscale("log")
            ax.set_ylabel(L["mean_square_log"])
        ax.set_title(L[key])
        ax.set_xlabel(L["branch"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["stream"] = fig

    # Expected initial loss against the logits' standard deviation
    r = res["initial"]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    stds = np.array(r["stds"])
    for i, (task, marker) in enumerate([("digits", "o"), ("text", "s")]):
        e = r[task]
        c = e["n_classes"]
        ax.plot(stds, e["curve"], color=f"C{i}", label=L["curve"].format(c=c))
        ax.plot(stds, stds * e["expected_max"], color=f"C{i}", linestyle="--",
                label=L["bound"].format(c=c))
        ax.axhline(e["ln_c"], color=f"C{i}", linestyle=":",
                   label=L["ln_c"].format(c=c))
        ax.plot([p["logit_std"] for p in e["sweep"]],
                [p["loss"] for p in e["sweep"]], color=f"C{i}", marker=marker,
                linestyle="none", markerfacecolor="none",
                label=L["measured"].format(task=L[task]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1, None)
    ax.set_xlabel(L["logit_std"])
    ax.set_ylabel(L["expected_loss"])
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["initial_loss"] = fig

    # Training: validation loss over the steps for each head multiplier, each
    # at its own best learning rate; line: median over seeds, band: min to max
    o = res["output"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.8), layout="constrained")
    for ax, task in zip(axes, ["digits", "text"]):
        t = o[task]
        for i, m in enumerate(o["multipliers"]):
            a = t["summary"][f"{m:g}"]
            c = a["curve"]
            ax.fill_between(t["steps"], c["min"], c["max"], color=f"C{i}",
                            alpha=0.25, linewidth=0)
            ax.plot(t["steps"], c["median"], color=f"C{i}",
                    label=L["head"].format(m=f"{m:g}", lr=f"{a['lr']:g}"))
        ax.axhline(t["ln_c"], color="C7", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ticks = [v for v in (0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20) if lo <= v <= hi]
        ax.set_yticks(ticks, [f"{v:g}" for v in ticks])
        ax.set_yticks([], minor=True)
        ax.set_title(L[task])
        ax.set_xlabel(L["step"])
        ax.legend(loc="upper right")
    axes[0].set_ylabel(L["heldout"])
    figs["training"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
