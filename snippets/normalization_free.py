# %% [markdown] lang="en"
# # Deep networks without normalization
#
# The notebook of the page [*Deep networks without normalization*]({{ page_url }}) of *Why N(0, 1)?*.
# Each section below runs one experiment of the page and prints what it found; the last cell computes
# every number the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 不用归一化的深层网络
#
# 这是《为什么是N(0, 1)？》中[不用归一化的深层网络]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，
# 并打印实验结果；最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Six residual networks at initialization
#
# A residual MLP of width {{ normalization_free.setup.width }} with {{ normalization_free.setup.blocks }} blocks, in six
# versions: He initialization without normalization, PyTorch's default initialization, SkipInit (a zero
# gain on each branch), Fixup, an NF network (scaled weight standardization) and BatchNorm in every
# branch. The cell prints the mean square of the residual stream after 0 to {{ normalization_free.setup.blocks }}
# blocks, on 512 digits: with He initialization it reaches
# {{ normalization_free.stream.median.he[-1] | sci(1) }}, with BatchNorm
# {{ normalization_free.stream.median.batchnorm[-1] | fixed(1) }}.

# %% [markdown] lang="zh"
# ## 初始化时的六个残差网络
#
# 一个宽度为{{ normalization_free.setup.width }}、有{{ normalization_free.setup.blocks }}个残差块的MLP，共六个版本：
# 不带归一化的He初始化、PyTorch的默认初始化、SkipInit（每个分支乘一个初值为零的增益）、Fixup、
# NF网络（缩放权重标准化）以及每个分支都带BatchNorm的网络。代码在512张数字图像上打印残差流经过0到
# {{ normalization_free.setup.blocks }}个残差块之后的均方值：He初始化下达到{{ normalization_free.stream.median.he[-1] | sci(1) }}，
# BatchNorm下为{{ normalization_free.stream.median.batchnorm[-1] | fixed(1) }}。

# %%
# --8<-- [start:model]
import math

import torch
from sklearn.datasets import load_digits

WIDTH, BLOCKS = 32, 32
RELU_GAIN = math.sqrt(2 / (1 - 1 / math.pi))  # NF-Nets: Var(RELU_GAIN * relu(z)) = 1, z ~ N(0, 1)
NF_ALPHA = 0.2  # NF-Nets: each branch adds variance NF_ALPHA^2


def digits() -> tuple:
    """Standardized 8x8 digits (64 features), 10 classes."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0).clamp_min(1e-3)
    return X, torch.tensor(y)


def init(arm: str, seeds: list, width: int = WIDTH, blocks: int = BLOCKS) -> dict:
    """The parameters of one network per seed, stacked along dimension 0. Weights
    are stored (out, in), as in nn.Linear. Every arm draws the same normals."""
    runs = len(seeds)
    gens = [torch.Generator().manual_seed(s) for s in seeds]

    def randn(*shape):
        return torch.stack([torch.randn(*shape, generator=g) for g in gens])

    # He: N(0, 2/fan_in); PyTorch's nn.Linear default: variance 1/(3 fan_in)
    std = math.sqrt(1 / (3 * width)) if arm == "default" else math.sqrt(2 / width)
    p = {"stem": randn(64, width) / 8,  # N(0, 1/64): the stream starts near unit variance
         "w1": std * randn(blocks, width, width),
         "w2": std * randn(blocks, width, width),
         "head": randn(width, 10) / math.sqrt(width)}
    if arm == "skipinit":  # x + alpha * f(x), alpha = 0 (De & Smith 2020)
        p["alpha"] = torch.zeros(runs, blocks, 1, 1)
    if arm == "fixup":  # Zhang et al. 2019: first layer x L^(-1/(2m-2)) (m = 2 layers); last and head 0
        p["w1"] = p["w1"] * blocks ** -0.5
        p["w2"] = torch.zeros_like(p["w2"])
        p["head"] = torch.zeros_like(p["head"])
        p["bias"] = torch.zeros(runs, blocks, 4, 1, 1)  # scalar biases before each layer and after
        p["scale"] = torch.ones(runs, blocks, 1, 1)  # a scalar multiplier per branch
    if arm == "batchnorm":  # pre-activation: BN, ReLU, linear, BN, ReLU, linear; BN, ReLU at the end
        p["gamma"] = torch.ones(runs, blocks + 1, 2, 1, width)
        p["beta"] = torch.zeros(runs, blocks + 1, 2, 1, width)
    if arm == "nf":  # Brock et al. 2021: a learnable gain per output unit of each layer
        p["gain"] = torch.ones(runs, blocks, 2, width, 1)
    return p


def standardized(w: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """Scaled weight standardization: each output unit's weights get mean 0 and
    norm 1 (variance 1/fan_in), times a gain."""
    centered = w - w.mean(-1, keepdim=True)
    return gain * centered / (centered.pow(2).sum(-1, keepdim=True).sqrt() + 1e-4)


def batch_norm(h: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running=None,
               training: bool = True) -> torch.Tensor:
    """BatchNorm over each network's own batch; h is (networks, batch, width).
    running: (mean, var) buffers, updated in training and used otherwise."""
    runs, batch, width = h.shape
    flat = h.transpose(0, 1).reshape(batch, runs * width)
    mean, var = running if running is not None else (None, None)
    out = torch.nn.functional.batch_norm(flat, mean, var, gamma.reshape(-1), beta.reshape(-1),
                                         training=training)
    return out.reshape(batch, runs, width).transpose(0, 1)


def forward(arm: str, p: dict, x: torch.Tensor, running=None, training: bool = True) -> tuple:
    """Logits, and the mean square of the residual stream after each block
    (one value per network), for x of shape (networks, batch, 64). running:
    BatchNorm's running statistics, one (mean, var) pair per BN layer."""
    bn_stats = iter(running) if running is not None else None

    def bn(h, gamma, beta):
        return batch_norm(h, gamma, beta, next(bn_stats) if bn_stats else None, training)

    h = x @ p["stem"]
    stream = [h.pow(2).mean((1, 2))]
    w1, w2 = p["w1"], p["w2"]
    if arm == "nf":
        w1, w2 = standardized(w1, p["gain"][:, :, 0]), standardized(w2, p["gain"][:, :, 1])
    w1, w2 = w1.mT.unbind(1), w2.mT.unbind(1)  # one (in, out) matrix per block
    expected_var = 1.0  # NF: the stream's variance the design predicts
    for l in range(len(w1)):
        if arm in ("he", "default"):
            h = h + torch.relu(h @ w1[l]) @ w2[l]
        elif arm == "skipinit":
            h = h + p["alpha"][:, l] * (torch.relu(h @ w1[l]) @ w2[l])
        elif arm == "fixup":
            b = p["bias"][:, l].unbind(1)
            f = torch.relu((h + b[0]) @ w1[l] + b[1])
            h = h + p["scale"][:, l] * ((f + b[2]) @ w2[l]) + b[3]
        elif arm == "batchnorm":
            g, b = p["gamma"][:, l].unbind(1), p["beta"][:, l].unbind(1)
            f = torch.relu(bn(h, g[0], b[0])) @ w1[l]
            h = h + torch.relu(bn(f, g[1], b[1])) @ w2[l]
        elif arm == "nf":  # x + alpha * f(x / beta), beta the expected std of x
            f = RELU_GAIN * torch.relu(h / math.sqrt(expected_var)) @ w1[l]
            h = h + NF_ALPHA * (RELU_GAIN * torch.relu(f) @ w2[l])
            expected_var += NF_ALPHA**2
        stream.append(h.pow(2).mean((1, 2)))
    out = h
    if arm == "batchnorm":  # ResNet v2 ends with BN and ReLU before the classifier
        out = torch.relu(bn(h, p["gamma"][:, -1, 0], p["beta"][:, -1, 0]))
    return out @ p["head"], torch.stack(stream, dim=1)


ARMS = ["he", "default", "skipinit", "fixup", "nf", "batchnorm"]

if __name__ == "__main__":
    X, _ = digits()
    print("mean square of the stream after 0, 1, 2, 4, 8, 16, 32 blocks")
    for arm in ARMS:
        _, stream = forward(arm, init(arm, [0]), X[None, :512])
        print(f"{arm:9s} " + " ".join(f"{stream[0, l]:9.3g}" for l in (0, 1, 2, 4, 8, 16, 32)))
# --8<-- [end:model]

# %% [markdown] lang="en"
# ## Training each network at its own learning rate
#
# Each version is trained with SGD (momentum 0.9) for {{ normalization_free.training.steps }} steps of
# {{ normalization_free.training.batch }} digits, at {{ normalization_free.training.lrs | length }} learning rates and
# {{ normalization_free.training.seeds | length }} seeds; the NF network's gradients are clipped adaptively. The cell
# prints, for two versions, the median training loss at each learning rate.

# %% [markdown] lang="zh"
# ## 各自用最佳学习率训练
#
# 每个版本都用SGD（动量0.9）训练{{ normalization_free.training.steps }}步，每步{{ normalization_free.training.batch }}张数字图像，
# 扫描{{ normalization_free.training.lrs | length }}个学习率，每个学习率用{{ normalization_free.training.seeds | length }}个随机种子；
# NF网络的梯度做自适应裁剪。代码打印两个版本在每个学习率下训练损失的中位数。

# %%
# --8<-- [start:training]
def clip_gradients(p: dict, clip: float = 0.01) -> torch.Tensor:
    """NF-Nets' adaptive gradient clipping, unit-wise: the gradient of each output
    unit's weights is at most `clip` times their norm (not on the head). Returns
    the share of units clipped, per network."""
    clipped, units = 0, 0
    for key, dim in [("stem", -2), ("w1", -1), ("w2", -1)]:  # dim: the fan-in
        w, g = p[key], p[key].grad
        w_norm = w.norm(dim=dim, keepdim=True).clamp_min(1e-3)
        g_norm = g.norm(dim=dim, keepdim=True).clamp_min(1e-12)
        factor = clip * w_norm / g_norm
        g.mul_(factor.clamp(max=1.0))
        clipped = clipped + (factor < 1).flatten(1).sum(1)
        units += factor[0].numel()
    return clipped / units


def train(arm: str, lrs: list, seeds: list, steps: int = 80, batch: int = 32,
          adaptive_clipping: bool = True) -> tuple:
    """Train one network per (learning rate, seed), all at once, with SGD and
    momentum 0.9. Return the training loss on all 1797 digits after the last step
    (BatchNorm: with its running statistics) and, for the NF network with
    clipping, the mean share of units clipped per step; each (len(lrs), len(seeds)).
    A seed draws the weights and the batches."""
    X, y = digits()
    runs = [(lr, s) for lr in lrs for s in seeds]
    p = init(arm, [s for _, s in runs])
    for v in p.values():
        v.requires_grad_()
    momentum = {k: torch.zeros_like(v) for k, v in p.items()}
    lr = torch.tensor([lr for lr, _ in runs])
    width, layers = p["w1"].shape[-1], 2 * p["w1"].shape[1] + 1
    running = [(torch.zeros(len(runs) * width), torch.ones(len(runs) * width)) for _ in range(layers)]
    clipped = torch.zeros(len(runs))
    batches = {s: torch.Generator().manual_seed(100 + s) for s in seeds}
    for _ in range(steps):
        picks = {s: torch.randint(0, len(X), (batch,), generator=batches[s]) for s in seeds}
        idx = torch.stack([picks[s] for _, s in runs])
        logits, _ = forward(arm, p, X[idx], running)
        losses = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), y[idx], reduction="none").mean(1)
        if not torch.isfinite(losses).any():
            break  # every network has diverged
        for v in p.values():
            v.grad = None
        losses.sum().backward()  # each network's gradient of its own mean loss
        with torch.no_grad():
            if arm == "nf" and adaptive_clipping:
                clipped += clip_gradients(p) / steps
            for k, v in p.items():
                momentum[k].mul_(0.9).add_(v.grad)
                v.sub_(lr.view(-1, *[1] * (v.dim() - 1)) * momentum[k])
    with torch.no_grad():
        logits, _ = forward(arm, p, X.expand(len(runs), -1, -1), running, training=False)
        losses = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), y.expand(len(runs), -1), reduction="none").mean(1)
    shape = (len(lrs), len(seeds))
    return torch.nan_to_num(losses, nan=math.inf).view(shape), clipped.view(shape)


if __name__ == "__main__":
    lrs = [10**k for k in (-3, -2, -1)]
    median = train("skipinit", lrs, seeds=[0, 1, 2, 3, 4])[0].median(dim=1).values
    print(f"SkipInit, median loss at learning rates {lrs}: "
          + " ".join(f"{v:.3f}" for v in median.tolist()))
# --8<-- [end:training]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size ({{ normalization_free.training.lrs | length }} learning
# rates and {{ normalization_free.training.seeds | length }} seeds for each version) and returns every number the page
# quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验（每个版本{{ normalization_free.training.lrs | length }}个学习率、
# {{ normalization_free.training.seeds | length }}个随机种子），返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

SEEDS = [0, 1, 2, 3, 4]
UNNORMALIZED = ["default", "skipinit", "fixup", "nf"]  # the versions without normalization that train
LR_EXPONENTS = [-3, -2.5, -2, -1.5, -1, -0.5]  # learning rates 10^k, a factor sqrt(10) apart
STREAM_EXAMPLES = 512


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _stream_theory(arm: str, q0: float, blocks: int) -> list:
    """The stream's mean square after each block, from the variance each branch adds."""
    q, out, expected = q0, [q0], 1.0
    for _ in range(blocks):
        if arm == "he":  # He: the branch returns 2 q (ReLU keeps half of 2 q, the second layer doubles it)
            q = q + 2 * q
        elif arm == "default":  # variance 1/(3 fan_in) twice, ReLU halves: q / 18
            q = q + q / 18
        elif arm == "batchnorm":  # BN sets the branch's input to variance 1; He returns 1
            q = q + 1
        elif arm == "nf":  # the branch returns NF_ALPHA^2 times the variance of x / beta
            q = q + NF_ALPHA**2 * q / expected
            expected += NF_ALPHA**2
        out.append(q)  # skipinit, fixup: the branch returns 0
    return out


def _stream_results() -> dict:
    X, _ = digits()
    x = X[:STREAM_EXAMPLES].expand(len(SEEDS), -1, -1)
    out = {"median": {}, "min": {}, "max": {}, "theory": {}}
    for arm in ARMS:
        _, stream = forward(arm, init(arm, SEEDS), x)
        out["median"][arm] = stream.median(dim=0).values.tolist()
        out["min"][arm] = stream.min(dim=0).values.tolist()
        out["max"][arm] = stream.max(dim=0).values.tolist()
        out["theory"][arm] = _stream_theory(arm, out["median"][arm][0], BLOCKS)
    out["q0"] = out["median"]["he"][0]
    # He: the median draw's growth per block, a geometric mean over all blocks
    out["he_rate"] = (out["median"]["he"][-1] / out["q0"]) ** (1 / BLOCKS)
    return out


def _training_results() -> dict:
    lrs = [10.0**k for k in LR_EXPONENTS]
    out = {"lrs": lrs, "lr_exponents": LR_EXPONENTS, "seeds": SEEDS, **_defaults(train, clip_gradients),
           "arms": {}}
    for arm in [*ARMS, "nf_noclip"]:  # the control: NF without adaptive gradient clipping
        if arm == "nf_noclip":
            losses, clipped = train("nf", lrs, SEEDS, adaptive_clipping=False)
        else:
            losses, clipped = train(arm, lrs, SEEDS)
        median = losses.median(dim=1).values
        best = int(median.argmin())
        out["arms"][arm] = {
            "median": median.tolist(),
            "min": losses.min(dim=1).values.tolist(),
            "max": losses.max(dim=1).values.tolist(),
            "trains": bool(torch.isfinite(median[best])),
            "best": best,
            "best_lr": lrs[best],
            "best_losses": losses[best].tolist(),
            "best_median": median[best].item(),
            # the rates at which no seed diverges
            "stable_lrs": int(torch.isfinite(losses).all(dim=1).sum()),
            "clipped_share": clipped.median(dim=1).values.tolist(),
        }
    out["chance"] = math.log(10)
    # the versions whose stream stays bounded: their best medians, and whether their ranges over
    # the seeds, at each one's best rate, share a point
    names = [*UNNORMALIZED, "nf_noclip", "batchnorm"]
    bounded = [out["arms"][a] for a in names]
    out["trained_range"] = [min(a["best_median"] for a in bounded), max(a["best_median"] for a in bounded)]
    disjoint = [[a, b] for i, a in enumerate(names) for b in names[i + 1:]
                if max(out["arms"][a]["best_losses"]) < min(out["arms"][b]["best_losses"])
                or max(out["arms"][b]["best_losses"]) < min(out["arms"][a]["best_losses"])]
    out["pairs"] = len(names) * (len(names) - 1) // 2
    out["disjoint"] = disjoint
    out["overlapping_pairs"] = out["pairs"] - len(disjoint)
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    return {
        "setup": {"width": WIDTH, "blocks": BLOCKS, "nf_alpha": NF_ALPHA, "relu_gain": RELU_GAIN,
                  "fixup_scale": BLOCKS ** -0.5, "examples": STREAM_EXAMPLES},
        "stream": _stream_results(),
        "training": _training_results(),
    }


LABELS = {
    "en": {
        "he": "He, no normalization",
        "default": "PyTorch default",
        "skipinit": "SkipInit (α = 0)",
        "fixup": "Fixup",
        "nf": "NF (scaled WS + AGC)",
        "nf_noclip": "NF without AGC",
        "batchnorm": "BatchNorm",
        "block": "residual block l",
        "ms": "mean square of the stream",
        "theory": "theory",
        "lr": "learning rate (SGD, momentum 0.9)",
        "loss": "training loss, median and range of {n} seeds",
        "diverged": "He, no normalization: diverges at every rate",
        "chance": "chance level",
    },
    "zh": {
        "he": "Kaiming（He），无归一化",
        "default": "PyTorch默认",
        "skipinit": "SkipInit（α = 0）",
        "fixup": "Fixup",
        "nf": "NF（缩放权重标准化 + AGC）",
        "nf_noclip": "NF，不用AGC",
        "batchnorm": "BatchNorm",
        "block": "残差块序号l",
        "ms": "残差流的均方值",
        "theory": "理论值",
        "lr": "学习率（SGD，动量0.9）",
        "loss": "训练损失，{n}个随机种子的中位数与范围",
        "diverged": "Kaiming（He），无归一化：每个学习率都发散",
        "chance": "随机猜测",
    },
}

COLORS = {"he": "C3", "default": "C7", "skipinit": "C0", "fixup": "C2", "nf": "C1", "batchnorm": "C4",
          "nf_noclip": "C1"}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # The stream at initialization
    s = res["stream"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 4.2), layout="constrained")
    blocks = np.arange(len(s["median"]["he"]))
    for ax, arms in [(axes[0], ARMS), (axes[1], ARMS[1:])]:  # right: without He, linear scale
        for arm in arms:
            ax.plot(blocks, s["median"][arm], color=COLORS[arm], label=L[arm])
            ax.plot(blocks, s["theory"][arm], color=COLORS[arm], linestyle=":", linewidth=1)
        ax.set_xlabel(L["block"])
    axes[0].plot([], [], color="C7", linestyle=":", linewidth=1, label=L["theory"])
    axes[0].set_yscale("log")
    axes[0].set_ylabel(L["ms"])
    axes[1].set_ylim(bottom=0)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize="small", ncol=3, loc="outside lower center")
    figs["stream"] = fig

    # Training loss against the learning rate
    t = res["training"]
    fig, ax = plt.subplots(figsize=(6.4, 5.0), layout="constrained")
    lrs = np.array(t["lrs"])
    for arm in [*ARMS, "nf_noclip"]:
        a = t["arms"][arm]
        if not a["trains"]:
            ax.plot([], [], color=COLORS[arm], marker="x", linestyle="none", label=L["diverged"])
            continue
        med, lo, hi = (np.array(a[k]) for k in ("median", "min", "max"))
        ok = np.isfinite(hi)
        ax.errorbar(lrs[ok], med[ok], yerr=[med[ok] - lo[ok], hi[ok] - med[ok]], color=COLORS[arm],
                    marker="o", capsize=3, label=L[arm],
                    linestyle="--" if arm == "nf_noclip" else "-", mfc="none" if arm == "nf_noclip" else None)
    ax.axhline(t["chance"], color="C7", linestyle=":", label=L["chance"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=4)
    ax.set_yticks([0.1, 0.2, 0.5, 1, 2], ["0.1", "0.2", "0.5", "1", "2"])  # not 2×10⁻¹
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel(L["lr"])
    ax.set_ylabel(L["loss"].format(n=len(t["seeds"])))
    fig.legend(fontsize="small", ncol=2, loc="outside lower center")
    figs["training"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
