# %% [markdown] lang="en"
# # LayerNorm and RMSNorm
#
# The notebook of the page [*LayerNorm and RMSNorm*]({{ page_url }}) of *Why N(0, 1)?*. Each
# section below runs one experiment of the page on PyTorch's own modules and prints what it found;
# the last cell computes every number the page quotes and draws its figures ({{ fig_range }}).
# Everything runs on a CPU.

# %% [markdown] lang="zh"
# # LayerNorm与RMSNorm
#
# 这是《为什么是N(0, 1)？》中[LayerNorm与RMSNorm]({{ page_url }})一页的笔记本。
# 下面每一节在PyTorch自带的模块上运行该页的一个实验，并打印实验结果；最后一个代码单元计算该页引用的全部数字，
# 并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Which entries share statistics
#
# Rather than trust a diagram, the cell perturbs one entry of the input and records which outputs
# change: those are the entries that share its statistics. On an (N, C, H, W) =
# ({{ layer_norm.groups.shape | join(", ") }}) tensor it prints, for each layer, how many entries change and
# which (sample, channel) pairs they cover ({{ fig("groups") }}): BatchNorm
# {{ layer_norm.groups.image.BatchNorm.count }} (one channel, all samples), LayerNorm and RMSNorm
# {{ layer_norm.groups.image.LayerNorm.count }} (one sample, all channels), GroupNorm with
# {{ layer_norm.groups.groups }} groups {{ layer_norm.groups.image.GroupNorm.count }} (one sample, one group of
# channels). On a (batch, tokens, features) = ({{ layer_norm.groups.token_shape | join(", ") }}) tensor, as in
# a Transformer, `nn.LayerNorm(features)` normalizes each token on its own
# ({{ layer_norm.groups.tokens.LayerNorm }} entries), while BatchNorm mixes one feature across all tokens of all
# sequences ({{ layer_norm.groups.tokens.BatchNorm }} entries).

# %% [markdown] lang="zh"
# ## 哪些元素共享统计量
#
# 与其相信示意图，不如扰动输入中的一个元素，记下哪些输出随之改变：这些就是与它共享统计量的元素。
# 在形状为(N, C, H, W) = ({{ layer_norm.groups.shape | join(", ") }})的张量上，
# 代码对每种归一化层打印随之改变的元素个数，以及它们覆盖哪些“样本–通道”组合（{{ fig("groups") }}）：
# BatchNorm为{{ layer_norm.groups.image.BatchNorm.count }}个（一个通道，所有样本），
# LayerNorm和RMSNorm为{{ layer_norm.groups.image.LayerNorm.count }}个（一个样本，所有通道），
# 分成{{ layer_norm.groups.groups }}组的GroupNorm为{{ layer_norm.groups.image.GroupNorm.count }}个（一个样本，
# 一组通道）。在Transformer常见的(batch, tokens, features) = ({{ layer_norm.groups.token_shape | join(", ") }})张量上，
# `nn.LayerNorm(features)`对每个词元单独归一化（{{ layer_norm.groups.tokens.LayerNorm }}个元素），
# 而BatchNorm把所有序列、所有词元的同一个特征混在一起（{{ layer_norm.groups.tokens.BatchNorm }}个元素）。

# %%
# --8<-- [start:groups]
import torch
from torch import nn


def shared_entries(norm: nn.Module, shape: tuple, seed: int = 0) -> torch.Tensor:
    """Boolean mask of the outputs that change when input entry [0, 0, ...] moves.

    Those outputs are exactly the entries that share statistics with it.
    """
    torch.manual_seed(seed)
    norm = norm.double().train()  # training mode: BatchNorm uses batch stats
    x = torch.randn(shape, dtype=torch.float64)
    x2 = x.clone()
    x2.view(-1)[0] += 1.0  # perturb a single entry
    with torch.no_grad():
        return (norm(x2) - norm(x)).abs() > 1e-12


def image_norms(C: int = 6, H: int = 2, W: int = 2, groups: int = 2) -> dict:
    """The four layers on an (N, C, H, W) tensor, each as PyTorch builds it."""
    return {
        "BatchNorm": nn.BatchNorm2d(C),
        "LayerNorm": nn.LayerNorm([C, H, W]),
        "GroupNorm": nn.GroupNorm(groups, C),
        "RMSNorm": nn.RMSNorm([C, H, W]),
    }


def token_norms(features: int = 8) -> dict:
    """On (batch, tokens, features): BatchNorm1d wants features in dim 1."""

    class TokenBatchNorm(nn.BatchNorm1d):
        def forward(self, x):
            return super().forward(x.transpose(1, 2)).transpose(1, 2)

    return {
        "BatchNorm": TokenBatchNorm(features),
        "LayerNorm": nn.LayerNorm(features),
        "RMSNorm": nn.RMSNorm(features),
    }


if __name__ == "__main__":
    N, C, H, W = 4, 6, 2, 2
    for name, norm in image_norms(C, H, W).items():
        mask = shared_entries(norm, (N, C, H, W))
        print(f"(N, C, H, W) = {(N, C, H, W)}  {name:9s} shares statistics "
              f"with {int(mask.sum()):2d} entries:")
        print("   (sample, channel) pairs:",
              mask.any(dim=(2, 3)).nonzero().tolist())
    B, T, D = 4, 5, 8
    for name, norm in token_norms(D).items():
        mask = shared_entries(norm, (B, T, D))
        print(f"(batch, tokens, features) = {(B, T, D)}  {name:9s}: "
              f"{int(mask.sum())} entries")
# --8<-- [end:groups]

# %% [markdown] lang="en"
# ## Invariances, and where epsilon breaks them
#
# The 8×8 digits of scikit-learn as 64-feature rows. First the output RMS of LayerNorm and RMSNorm
# (ε = {{ layer_norm.invariance.eps | sci(0) }}) for standardized rows multiplied by c: it follows c/√(c² + ε), so it
# is 1 only while c ≫ √ε, {{ layer_norm.invariance.rms_at_sqrt_eps | fixed(3) }} at c = √ε and
# {{ layer_norm.invariance.ln_rms_small | sci(1) }} at c = {{ layer_norm.invariance.sweep.c[0] | sci(0) }}
# ({{ fig("eps_scale") }}, which also shows `nn.RMSNorm` with its much smaller default ε). Then the largest
# change of the output: multiplying the input by {{ layer_norm.invariance.scale | fixed(0) }} moves LayerNorm by
# {{ layer_norm.invariance.ln_scale | sci(1) }}, still {{ layer_norm.invariance.ln_scale_f64 | sci(1) }} in float64 and
# {{ layer_norm.invariance.ln_scale_f64_eps0 | sci(1) }} only with ε = 0, so ε, not rounding, breaks the invariance;
# adding {{ layer_norm.invariance.shift | fixed(0) }} moves LayerNorm by {{ layer_norm.invariance.ln_shift | sci(1) }} but
# RMSNorm by up to {{ layer_norm.invariance.rms_shift | fixed(2) }}, since RMSNorm does not remove the mean. Last,
# the shape: within one digit LayerNorm keeps it (skewness {{ layer_norm.invariance.skew_in | fixed(3) }} before,
# {{ layer_norm.invariance.skew_out | fixed(3) }} after), but across samples, by dividing out a random per-row
# scale, it brings a heavy-tailed feature's excess kurtosis from {{ layer_norm.invariance.kurt_in | fixed(2) }}
# to {{ layer_norm.invariance.kurt_out | fixed(2) }}.

# %% [markdown] lang="zh"
# ## 不变性，以及ε在哪里破坏它们
#
# 数据是scikit-learn自带的8×8手写数字图像，每张展平成一行64维特征。先把每一行标准化后乘以c，
# 看LayerNorm和RMSNorm（ε = {{ layer_norm.invariance.eps | sci(0) }}）输出的均方根：它等于c/√(c² + ε)，
# 只有当c ≫ √ε时才等于1，在c = √ε处为{{ layer_norm.invariance.rms_at_sqrt_eps | fixed(3) }}，
# 在c = {{ layer_norm.invariance.sweep.c[0] | sci(0) }}处只有{{ layer_norm.invariance.ln_rms_small | sci(1) }}
# （{{ fig("eps_scale") }}，图中还画出了默认ε小得多的`nn.RMSNorm`）。接着看输出的最大变化：
# 把输入乘以{{ layer_norm.invariance.scale | fixed(0) }}，
# LayerNorm的输出改变{{ layer_norm.invariance.ln_scale | sci(1) }}，
# 换成float64仍有{{ layer_norm.invariance.ln_scale_f64 | sci(1) }}，
# 只有令ε = 0才降到{{ layer_norm.invariance.ln_scale_f64_eps0 | sci(1) }}，可见破坏不变性的是ε而不是舍入误差；
# 加上{{ layer_norm.invariance.shift | fixed(0) }}，LayerNorm的输出只改变{{ layer_norm.invariance.ln_shift | sci(1) }}，
# RMSNorm的输出却最多改变{{ layer_norm.invariance.rms_shift | fixed(2) }}，因为RMSNorm不减去均值。最后是形状：
# 在一张数字图像内部，LayerNorm保留了它的形状（变换前偏度为{{ layer_norm.invariance.skew_in | fixed(3) }}，
# 变换后为{{ layer_norm.invariance.skew_out | fixed(3) }}）；但跨样本来看，LayerNorm除掉了每行各自的随机尺度，
# 使一个重尾特征的超额峰度从{{ layer_norm.invariance.kurt_in | fixed(2) }}变为{{ layer_norm.invariance.kurt_out | fixed(2) }}。

# %%
# --8<-- [start:invariance]
import torch
from sklearn.datasets import load_digits
from torch import nn


def digit_rows(n: int = 200) -> torch.Tensor:
    """The first n 8x8 digits as 64-feature rows (raw pixels 0..16)."""
    X = load_digits().data[:n]
    return torch.tensor(X, dtype=torch.float32)


def scale_sweep(
    eps: float = 1e-5, c_min_exp: int = -7, c_max_exp: int = 3
) -> dict:
    """Output RMS of LayerNorm and RMSNorm (no affine) for inputs c * x.

    RMSNorm is run twice: with LayerNorm's eps, and with PyTorch's default
    (eps=None, which means torch.finfo(dtype).eps)."""
    x = digit_rows()
    x = (x - x.mean(1, keepdim=True)) / x.std(1, unbiased=False, keepdim=True)
    ln = nn.LayerNorm(64, eps=eps, elementwise_affine=False)
    rms = nn.RMSNorm(64, eps=eps, elementwise_affine=False)
    rms_default = nn.RMSNorm(64, elementwise_affine=False)  # eps=None
    cs = torch.logspace(c_min_exp, c_max_exp, 41)
    out = {"c": cs.tolist(), "layernorm": [], "rmsnorm": [],
           "rmsnorm_default": [], "default_eps": torch.finfo(x.dtype).eps}
    for c in cs:
        for key, norm in [("layernorm", ln), ("rmsnorm", rms),
                          ("rmsnorm_default", rms_default)]:
            out[key].append(norm(c * x).pow(2).mean().sqrt().item())
    c0 = out["default_eps"] ** 0.5  # the default RMSNorm's c = sqrt(eps)
    out["at_default_knee"] = {
        "layernorm": ln(c0 * x).pow(2).mean().sqrt().item(),
        "rmsnorm_default": rms_default(c0 * x).pow(2).mean().sqrt().item(),
    }
    return out


def invariances(scale: float = 10.0, shift: float = 3.0) -> dict:
    """Max |change| of the output when the input is rescaled or shifted."""
    x = digit_rows()
    ln = nn.LayerNorm(64, elementwise_affine=False)
    rms = nn.RMSNorm(64, eps=1e-5, elementwise_affine=False)
    with torch.no_grad():
        out = {
            "ln_scale": (ln(scale * x) - ln(x)).abs().max().item(),
            "rms_scale": (rms(scale * x) - rms(x)).abs().max().item(),
            "ln_shift": (ln(x + shift) - ln(x)).abs().max().item(),
            "rms_shift": (rms(x + shift) - rms(x)).abs().max().item(),
            "ln_out_mean": ln(x).mean(1).abs().max().item(),
            "rms_out_mean": rms(x).mean(1).mean().item(),
            "ln_out_mean_shifted": ln(x + shift).mean(1).abs().max().item(),
            "rms_out_mean_shifted": rms(x + shift).mean(1).mean().item(),
        }
        # Rounding or epsilon? Redo the rescaling in float64, with and
        # without eps: float64 rounding is ~1e-16, so what is left is eps.
        x64 = x.double()
        for eps, tag in [(1e-5, "f64"), (0.0, "f64_eps0")]:
            ln64 = nn.LayerNorm(64, eps=eps, elementwise_affine=False)
            rms64 = nn.RMSNorm(64, eps=eps, elementwise_affine=False)
            out[f"ln_scale_{tag}"] = (
                ln64(scale * x64) - ln64(x64)).abs().max().item()
            out[f"rms_scale_{tag}"] = (
                rms64(scale * x64) - rms64(x64)).abs().max().item()
    return out


def shape_kept(index: int = 0) -> dict:
    """Skewness of one digit's 64 values before and after LayerNorm."""

    def skew(v):
        z = (v - v.mean()) / v.std(unbiased=False)
        return z.pow(3).mean().item()

    x = digit_rows()[index]
    y = nn.LayerNorm(64, elementwise_affine=False)(x)
    return {"skew_in": skew(x), "skew_out": skew(y.detach()),
            "distinct_in": len(set(x.tolist())),
            "distinct_out": len(set(y.detach().tolist()))}


def scale_mixture(
    rows: int = 4000, features: int = 64, log_sd: float = 0.5, seed: int = 0
) -> dict:
    """Across samples, LayerNorm does change a feature's distribution.

    Rows x = s * z, z ~ N(0, I), one log-normal scale s per row: each feature
    is heavy-tailed. LayerNorm divides every row by its own s (and more)."""
    torch.manual_seed(seed)
    z = torch.randn(rows, features)
    s = torch.exp(log_sd * torch.randn(rows, 1))
    x = s * z
    y = nn.LayerNorm(features, elementwise_affine=False)(x).detach()

    def excess_kurtosis(v):  # of each column (feature), over the rows
        v = (v - v.mean(0)) / v.std(0, unbiased=False)
        return v.pow(4).mean(0) - 3

    return {"kurt_in": excess_kurtosis(x).median().item(),
            "kurt_out": excess_kurtosis(y).median().item()}


if __name__ == "__main__":
    sweep = scale_sweep()
    for c, a, b in list(zip(sweep["c"], sweep["layernorm"],
                            sweep["rmsnorm"]))[::8]:
        print(f"c = {c:8.1e}: output RMS  LayerNorm {a:.4f}  RMSNorm {b:.4f}")
    for k, v in invariances().items():
        print(f"{k:22s} {v:.2e}")
    print(shape_kept())
    print("feature excess kurtosis, in -> out:", scale_mixture())
# --8<-- [end:invariance]

# %% [markdown] lang="en"
# ## BatchNorm depends on the batch; LayerNorm does not
#
# The cell changes what surrounds sample 0 and prints the largest (and median) change of its
# output. For BatchNorm: {{ layer_norm.batch.bn_other_samples | fixed(2) }} ({{ layer_norm.batch.bn_other_samples_median | fixed(2) }})
# when the other {{ layer_norm.batch.batch_size - 1 }} samples of its batch change,
# {{ layer_norm.batch.bn_train_vs_eval | fixed(2) }} ({{ layer_norm.batch.bn_train_vs_eval_median | fixed(2) }}) between `train()` and
# `eval()` with the exact statistics of all 200 images, and {{ layer_norm.batch.padding.bn | fixed(2) }}
# ({{ layer_norm.batch.padding.bn_median | fixed(2) }}) when a batch-mate pads a {{ layer_norm.batch.tokens }}-token
# sequence to {{ layer_norm.batch.pad_to }} tokens. For LayerNorm all three are exactly 0: its output for a
# sample depends on that sample alone. A batch of a single token makes `BatchNorm1d` raise a
# `ValueError` in training mode; LayerNorm gives it an output RMS of {{ layer_norm.batch.one_ln_rms | fixed(3) }}.

# %% [markdown] lang="zh"
# ## BatchNorm依赖批量，LayerNorm不依赖
#
# 代码改变样本0所处的环境，打印它的输出的最大变化（括号内为中位数）。BatchNorm：
# 同一批量中其余{{ layer_norm.batch.batch_size - 1 }}个样本换掉时变化{{ layer_norm.batch.bn_other_samples | fixed(2) }}
# （{{ layer_norm.batch.bn_other_samples_median | fixed(2) }}）；
# 从`train()`切换到用全部200张图像精确统计量的`eval()`时变化{{ layer_norm.batch.bn_train_vs_eval | fixed(2) }}
# （{{ layer_norm.batch.bn_train_vs_eval_median | fixed(2) }}）；同批中有一条更长的序列，
# 迫使这条{{ layer_norm.batch.tokens }}个词元的序列填充到{{ layer_norm.batch.pad_to }}个词元时变化
# {{ layer_norm.batch.padding.bn | fixed(2) }}（{{ layer_norm.batch.padding.bn_median | fixed(2) }}）。
# LayerNorm在这三种情况下的变化都恰好是0：它对一个样本的输出只取决于这个样本本身。训练模式下，
# 只有一个词元的批量会让`BatchNorm1d`抛出`ValueError`；LayerNorm处理同样的单个词元，
# 输出均方根为{{ layer_norm.batch.one_ln_rms | fixed(3) }}。

# %%
# --8<-- [start:batch]
import torch
from sklearn.datasets import load_digits
from torch import nn


def digit_rows(n: int = 200) -> torch.Tensor:
    """The first n 8x8 digits as 64-feature rows (raw pixels 0..16)."""
    X = load_digits().data[:n]
    return torch.tensor(X, dtype=torch.float32)


def batch_dependence(batch_size: int = 16, seed: int = 0) -> dict:
    """Change of sample 0's output (max and median over its 64 features) when
    the rest of its batch changes, and between train() and eval()."""
    torch.manual_seed(seed)
    x = digit_rows()
    a = x[:batch_size]
    b = torch.cat([x[:1], x[100 : 99 + batch_size]])  # same sample 0
    out = {}
    # momentum=None: the running statistics become exact averages
    for name, norm in [("bn", nn.BatchNorm1d(64, momentum=None)),
                       ("ln", nn.LayerNorm(64))]:
        norm.train()
        with torch.no_grad():
            other = (norm(a)[0] - norm(b)[0]).abs()
            train_0 = norm(a)[0]
            if name == "bn":  # running stats = mean and variance of all rows
                norm.reset_running_stats()
                norm(x)
            norm.eval()
            gap = (train_0 - norm(a)[0]).abs()
        out[f"{name}_other_samples"] = other.max().item()
        out[f"{name}_other_samples_median"] = other.median().item()
        out[f"{name}_train_vs_eval"] = gap.max().item()
        out[f"{name}_train_vs_eval_median"] = gap.median().item()
    return out


def padding_dependence(
    tokens: int = 5, pad_to: int = 20, features: int = 8, seed: int = 0
) -> dict:
    """Sequence 0 has `tokens` real tokens; a batch-mate sets the padded
    length. Max |change| of sequence 0's real outputs, padded vs not."""
    torch.manual_seed(seed)
    seq = torch.randn(1, tokens, features)
    mate = torch.randn(1, tokens, features)
    short = torch.cat([seq, mate])  # (2, tokens, features)
    pad = torch.zeros(2, pad_to - tokens, features)
    long_ = torch.cat([short, pad], dim=1)  # zero padding to pad_to
    bn = nn.BatchNorm1d(features)  # normalizes each feature over (B, T)
    ln = nn.LayerNorm(features)
    with torch.no_grad():
        bn_short = bn(short.transpose(1, 2)).transpose(1, 2)[0]
        bn_long = bn(long_.transpose(1, 2)).transpose(1, 2)[0, :tokens]
        bn_change = (bn_short - bn_long).abs()
        ln_change = (ln(short)[0] - ln(long_)[0, :tokens]).abs()
    return {"bn": bn_change.max().item(),
            "bn_median": bn_change.median().item(),
            "ln": ln_change.max().item(),
            "ln_median": ln_change.median().item()}


def batch_of_one() -> dict:
    """One token of one sequence, as in autoregressive decoding."""
    x = torch.randn(1, 64)
    try:
        nn.BatchNorm1d(64).train()(x)
        bn = "ran"
    except ValueError as err:
        bn = f"ValueError: {err}"
    ln_out = nn.LayerNorm(64)(x)
    return {"bn": bn, "ln_rms": ln_out.pow(2).mean().sqrt().item()}


if __name__ == "__main__":
    print(batch_dependence())
    print("padding:", padding_dependence())
    print(batch_of_one())
# --8<-- [end:batch]

# %% [markdown] lang="en"
# ## Post-LN versus Pre-LN at initialization
#
# Stacks of residual feed-forward blocks (width {{ layer_norm.pre_post.d }}, no attention) on a batch of
# {{ layer_norm.pre_post.batch }} digits, one backward pass at PyTorch's default initialization. The cell is a quick
# version with one seed: it prints the gradient norm of each of {{ layer_norm.pre_post.n_layers }} blocks, the RMS
# of the residual stream, and the last block's gradient for {{ layer_norm.pre_post.depths | join(", ") }} blocks
# (Xiong et al. 2020, Theorem 1). The full run behind {{ fig("grad_norms") }} uses {{ layer_norm.pre_post.n_seeds }}
# seeds: Pre-LN's last-block gradient falls to {{ layer_norm.pre_post.pre.last_ratio_deep_shallow | fixed(2) }} of its
# value from {{ layer_norm.pre_post.depths[0] }} to {{ layer_norm.pre_post.depths[2] }} blocks while Post-LN's does not
# depend on depth, and within one Pre-LN stack block 1 gets {{ layer_norm.pre_post.pre.first_over_last.median | fixed(2) }}
# times the gradient of the last block, because the stream it is divided by grows by a factor of
# {{ layer_norm.pre_post.pre.stream_growth.median | fixed(2) }} on the way. Post-LN stays flat (largest over
# smallest block: {{ layer_norm.pre_post.post.max_over_min.median | fixed(2) }}), so the toy does not reproduce
# the paper's picture of Post-LN gradients largest near the output.

# %% [markdown] lang="zh"
# ## 初始化时的Post-LN与Pre-LN
#
# 用残差前馈块（宽度{{ layer_norm.pre_post.d }}，没有注意力）堆叠成网络，在{{ layer_norm.pre_post.batch }}个手写数字上、
# 以PyTorch默认初始化做一次反向传播。下面的代码是只用一个随机种子的快速版：
# 打印{{ layer_norm.pre_post.n_layers }}个块各自的梯度范数、残差流的均方根，
# 以及块数为{{ layer_norm.pre_post.depths | join("、") }}时最后一块的梯度（Xiong et al. 2020，Theorem 1）。
# {{ fig("grad_norms") }}背后的完整实验用了{{ layer_norm.pre_post.n_seeds }}个随机种子：
# 从{{ layer_norm.pre_post.depths[0] }}块到{{ layer_norm.pre_post.depths[2] }}块，
# Pre-LN最后一块的梯度降到原来的{{ layer_norm.pre_post.pre.last_ratio_deep_shallow | fixed(2) }}，
# 而Post-LN的与深度无关；在同一个Pre-LN堆叠内部，第1块得到的梯度是最后一块的
# {{ layer_norm.pre_post.pre.first_over_last.median | fixed(2) }}倍，因为梯度要除以残差流的大小，
# 而残差流一路增大到{{ layer_norm.pre_post.pre.stream_growth.median | fixed(2) }}倍。
# Post-LN各块的梯度则基本持平（最大值与最小值之比为{{ layer_norm.pre_post.post.max_over_min.median | fixed(2) }}），
# 所以这个玩具模型没有复现论文中Post-LN越靠近输出梯度越大的图景。

# %%
# --8<-- [start:pre_post]
from functools import lru_cache

import torch
from sklearn.datasets import load_digits
from torch import nn


class Block(nn.Module):
    """Residual feed-forward block, Post-LN or Pre-LN."""

    def __init__(self, d: int, pre: bool):
        super().__init__()
        self.pre = pre
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(),
                                nn.Linear(4 * d, d))
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        if self.pre:
            return x + self.ff(self.norm(x))  # x_{l+1} = x_l + F(LN(x_l))
        return self.norm(x + self.ff(x))  # x_{l+1} = LN(x_l + F(x_l))


@lru_cache
def digits_batch(batch: int) -> tuple:
    digits = load_digits()
    x = torch.tensor(digits.data[:batch], dtype=torch.float32) / 16
    return x, torch.tensor(digits.target[:batch])


def grad_norms(
    pre: bool, n_layers: int = 12, d: int = 64, batch: int = 64,
    seed: int = 0, embed_gain: float = 1.0, xavier: bool = False,
) -> dict:
    """One backward pass at initialization on a digits batch.

    grads: gradient norm of each block's weights; stream_rms: RMS of the
    residual stream x_0 (embedding), x_1, ..., x_L; branch_rms: RMS of each
    block's branch output F(.)."""
    torch.manual_seed(seed)
    x, y = digits_batch(batch)
    embed = nn.Linear(64, d)
    blocks = nn.ModuleList(Block(d, pre) for _ in range(n_layers))
    if xavier:  # larger branches than PyTorch's default init
        for block in blocks:
            for layer in block.ff[::2]:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
    final = nn.LayerNorm(d) if pre else nn.Identity()  # Pre-LN ends with LN
    head = nn.Linear(d, 10)

    def rms(t):
        return t.detach().pow(2).mean().sqrt().item()

    h = embed_gain * embed(x)
    stream, branch = [rms(h)], []
    for block in blocks:  # block(h), spelled out to record the branch F
        f = block.ff(block.norm(h) if pre else h)
        h = h + f if pre else block.norm(h + f)
        branch.append(rms(f))
        stream.append(rms(h))
    nn.functional.cross_entropy(head(final(h)), y).backward()
    return {
        "grads": [
            torch.sqrt(sum(p.grad.pow(2).sum()
                           for n, p in b.named_parameters()
                           if "weight" in n and "norm" not in n)).item()
            for b in blocks
        ],
        "stream_rms": stream,
        "branch_rms": branch,
    }


if __name__ == "__main__":
    for pre in [False, True]:
        g = grad_norms(pre)
        name = "Pre-LN " if pre else "Post-LN"
        print(f"{name} gradient norm, block 1 .. 12: "
              + " ".join(f"{v:.3f}" for v in g["grads"]))
        print(f"{name} stream RMS,    x_0 .. x_12:  "
              + " ".join(f"{v:.3f}" for v in g["stream_rms"]))
    for L in [3, 6, 12]:  # Theorem 1: the last block, against depth
        post, pre = grad_norms(False, L), grad_norms(True, L)
        print(f"L = {L:2d}: last block  Post-LN {post['grads'][-1]:.3f}  "
              f"Pre-LN {pre['grads'][-1]:.3f}  Pre-LN x stream RMS "
              f"{pre['grads'][-1] * pre['stream_rms'][-1]:.3f}")
# --8<-- [end:pre_post]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (the Post-LN/Pre-LN comparison over
# {{ layer_norm.pre_post.n_seeds }} seeds) and returns every number the page quotes; `figures()` draws the
# page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验（Post-LN与Pre-LN的对比用{{ layer_norm.pre_post.n_seeds }}个随机种子），
# 返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

GRID = (4, 6, 2, 2)  # (N, C, H, W) of the groups figure
TOKENS = (4, 5, 8)  # (batch, tokens, features)
DEPTHS = [3, 6, 12]  # Theorem 1: the last block's gradient against depth
SEEDS = [0, 1, 2, 3, 4]
EMBED_GAIN = 16.0  # control: a residual stream that starts large


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _groups_results() -> dict:
    N, C, H, W = GRID
    out = {"shape": list(GRID), "token_shape": list(TOKENS), "image": {},
           "tokens": {}, **_defaults(image_norms)}
    for name, norm in image_norms(C, H, W).items():
        mask = shared_entries(norm, GRID)
        out["image"][name] = {
            "count": int(mask.sum()),
            "grid": mask.any(dim=(2, 3)).int().tolist(),
            "full_cells": bool(
                (mask.any(dim=(2, 3)) == mask.all(dim=(2, 3))).all()
            ),
        }
    for name, norm in token_norms(TOKENS[2]).items():
        out["tokens"][name] = int(shared_entries(norm, TOKENS).sum())
    return out


def _interp_log(x: float, xs, ys) -> float:
    """Interpolate ys(xs) at x, linearly in log10(xs)."""
    return float(np.interp(np.log10(x), np.log10(xs), ys))


def _invariance_results() -> dict:
    sweep = scale_sweep()
    c = np.array(sweep["c"])
    eps = _defaults(scale_sweep)["eps"]
    eps_d = sweep["default_eps"]
    return {
        **_defaults(scale_sweep, invariances, scale_mixture),
        "sweep": sweep,
        "sqrt_eps": eps**0.5,
        "c_half": float(10 ** np.interp(0.5, sweep["layernorm"], np.log10(c))),
        "rms_at_sqrt_eps": _interp_log(eps**0.5, c, sweep["layernorm"]),
        "ln_rms_small": sweep["layernorm"][0],
        "ln_rms_c1": _interp_log(1.0, c, sweep["layernorm"]),
        # PyTorch's default RMSNorm: eps = torch.finfo(float32).eps
        "rmsd_eps": eps_d,
        "rmsd_sqrt_eps": eps_d**0.5,
        "rmsd_c_half": float(
            10 ** np.interp(0.5, sweep["rmsnorm_default"], np.log10(c))),
        "rmsd_at_sqrt_eps": sweep["at_default_knee"]["rmsnorm_default"],
        "ln_at_rmsd_sqrt_eps": sweep["at_default_knee"]["layernorm"],
        **invariances(),
        **shape_kept(),
        **scale_mixture(),
        # excess kurtosis of s*z, log s ~ N(0, v^2): 3 E[s^4]/E[s^2]^2 - 3
        "kurt_in_theory": float(
            3 * np.exp(4 * _defaults(scale_mixture)["log_sd"] ** 2) - 3),
        # one coordinate of a point on a sphere in the (d-1)-dim. zero-mean subspace
        "kurt_out_theory": -6 / (_defaults(scale_mixture)["features"] + 1),
    }


def _batch_results() -> dict:
    return {
        **_defaults(batch_dependence, padding_dependence),
        **batch_dependence(),
        "padding": padding_dependence(),
        "one_bn_error": batch_of_one()["bn"].startswith("ValueError"),
        "one_ln_rms": batch_of_one()["ln_rms"],
    }


def _spread(values) -> dict:
    """Median and range over seeds."""
    return {"median": float(np.median(values)), "min": float(np.min(values)),
            "max": float(np.max(values))}


def _profile(runs: list) -> dict:
    """Per-block gradient norms of one arm, over seeds."""
    G = np.array([r["grads"] for r in runs])  # seeds x blocks
    return {
        "grads_median": np.median(G, axis=0).tolist(),
        "grads_min": G.min(axis=0).tolist(),
        "grads_max": G.max(axis=0).tolist(),
        "first_over_last": _spread(G[:, 0] / G[:, -1]),
        "last_over_first": _spread(G[:, -1] / G[:, 0]),
        "max_over_min": _spread(G.max(axis=1) / G.min(axis=1)),
        "first": _spread(G[:, 0]),
        "last": _spread(G[:, -1]),
        "stream_rms_median": np.median(
            [r["stream_rms"] for r in runs], axis=0).tolist(),
        "branch_rms": _spread([r["branch_rms"] for r in runs]),
    }


def _pre_post_results() -> dict:
    out = {**_defaults(grad_norms), "depths": DEPTHS, "n_seeds": len(SEEDS),
           "embed_gain_control": EMBED_GAIN}
    L0 = out["n_layers"]
    for key, pre in [("post", False), ("pre", True)]:
        runs = {L: [grad_norms(pre, L, seed=s) for s in SEEDS] for L in DEPTHS}
        prof = runs[L0]
        G = np.array([r["grads"] for r in prof])
        S = np.array([r["stream_rms"] for r in prof])  # x_0 .. x_L
        last = [[r["grads"][-1] for r in runs[L]] for L in DEPTHS]
        last_rms = [[r["grads"][-1] * r["stream_rms"][-1] for r in runs[L]]
                    for L in DEPTHS]
        out[key] = {
            **_profile(prof),
            # block l writes x_l: its gradient times the RMS of x_l
            "times_rms_first_over_last": _spread(
                (G[:, 0] * S[:, 1]) / (G[:, -1] * S[:, -1])),
            "stream_growth": _spread(S[:, -1] / S[:, 1]),
            "last_by_depth": [_spread(v) for v in last],
            "last_by_depth_median": [float(np.median(v)) for v in last],
            "last_times_rms_by_depth_median": [
                float(np.median(v)) for v in last_rms],
            "stream_end_by_depth_median": [
                float(np.median([r["stream_rms"][-1] for r in runs[L]]))
                for L in DEPTHS],
        }
    p = out["pre"]["last_by_depth_median"]
    out["pre"]["last_ratio_deep_shallow"] = p[-1] / p[0]
    out["sqrt_depth_ratio"] = (DEPTHS[0] / DEPTHS[-1]) ** 0.5
    q = out["post"]["last_by_depth_median"]
    out["post"]["last_ratio_deep_shallow"] = q[-1] / q[0]
    out["pre_big_embed"] = _profile(
        [grad_norms(True, L0, seed=s, embed_gain=EMBED_GAIN) for s in SEEDS])
    out["post_xavier"] = _profile(
        [grad_norms(False, L0, seed=s, xavier=True) for s in SEEDS])
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    return {
        "groups": _groups_results(),
        "invariance": _invariance_results(),
        "batch": _batch_results(),
        "pre_post": _pre_post_results(),
    }


LABELS = {
    "en": {
        "sample": "sample n",
        "channel": "channel c",
        "perturbed": "perturbed entry",
        "shared": "outputs that change",
        "BatchNorm": "BatchNorm",
        "LayerNorm": "LayerNorm",
        "GroupNorm": "GroupNorm (2 groups)",
        "RMSNorm": "RMSNorm",
        "RMSNorm_eps": "RMSNorm, ε = {eps:.0e} (as LayerNorm)",
        "RMSNorm_default": "RMSNorm, default ε = {eps:.1e}",
        "LayerNorm_eps": "LayerNorm, ε = {eps:.0e}",
        "scale": "input scale c",
        "out_rms": "output RMS",
        "theory": "c / √(c² + ε)",
        "sqrt_eps": "c = √ε",
        "block": "residual block",
        "grad_norm": "gradient norm of the block's weights",
        "post": "Post-LN",
        "pre": "Pre-LN",
        "pre_big_embed": "Pre-LN, embedding × {gain:.0f}",
        "post_xavier": "Post-LN, Xavier init",
        "per_block": "{n} blocks, {seeds} seeds: median (range)",
    },
    "zh": {
        "sample": "样本n",
        "channel": "通道c",
        "perturbed": "被扰动的元素",
        "shared": "随之改变的输出",
        "BatchNorm": "BatchNorm",
        "LayerNorm": "LayerNorm",
        "GroupNorm": "GroupNorm（2组）",
        "RMSNorm": "RMSNorm",
        "RMSNorm_eps": "RMSNorm，ε = {eps:.0e}（同LayerNorm）",
        "RMSNorm_default": "RMSNorm，默认ε = {eps:.1e}",
        "LayerNorm_eps": "LayerNorm，ε = {eps:.0e}",
        "scale": "输入尺度c",
        "out_rms": "输出的均方根",
        "theory": "c / √(c² + ε)",
        "sqrt_eps": "c = √ε",
        "block": "残差块",
        "grad_norm": "该块权重的梯度范数",
        "post": "Post-LN",
        "pre": "Pre-LN",
        "pre_big_embed": "Pre-LN，嵌入×{gain:.0f}",
        "post_xavier": "Post-LN，Xavier初始化",
        "per_block": "{n}个块，{seeds}个随机种子：中位数（范围）",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Normalization groups on (N, C, H, W)
    g = res["groups"]
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 5.0), layout="constrained")
    for ax, name in zip(axes.flat, ["BatchNorm", "LayerNorm", "GroupNorm",
                                    "RMSNorm"]):
        grid = np.array(g["image"][name]["grid"])
        n_rows, n_cols = grid.shape
        for n in range(n_rows):
            for c in range(n_cols):
                ax.add_patch(Rectangle(
                    (c, n), 1, 1, facecolor="C0" if grid[n, c] else "none",
                    edgecolor="C0", alpha=0.8 if grid[n, c] else 1.0,
                    label=L["shared"] if (n, c) == (0, 0) else None))
        ax.plot([0.5], [0.5], marker="x", color="C1", markersize=10,
                linestyle="none", label=L["perturbed"])
        ax.set_xlim(0, n_cols)
        ax.set_ylim(n_rows, 0)
        ax.set_aspect("equal")
        ax.set_xticks(np.arange(n_cols) + 0.5, range(n_cols))
        ax.set_yticks(np.arange(n_rows) + 0.5, range(n_rows))
        ax.set_title(L[name])
        ax.set_xlabel(L["channel"])
        ax.set_ylabel(L["sample"])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["groups"] = fig

    # Scale sweep: epsilon breaks scale invariance for tiny inputs
    s = res["invariance"]
    c = np.array(s["sweep"]["c"])
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for key, label, eps, color, marker in [
        ("layernorm", "LayerNorm_eps", s["eps"], "C0", "o"),
        ("rmsnorm", "RMSNorm_eps", s["eps"], "C1", "x"),
        ("rmsnorm_default", "RMSNorm_default", s["rmsd_eps"], "C3", "+"),
    ]:
        ax.plot(c, s["sweep"][key], color=color, marker=marker, markersize=5,
                linestyle="none", label=L[label].format(eps=eps))
    for eps, color in [(s["eps"], "C2"), (s["rmsd_eps"], "C3")]:
        ax.plot(c, c / np.sqrt(c**2 + eps), color=color, linestyle="--",
                label=L["theory"] if color == "C2" else None)
        ax.axvline(eps**0.5, color="C7", linestyle=":",
                   label=L["sqrt_eps"] if color == "C2" else None)
    ax.set_xscale("log")
    ax.set_xlabel(L["scale"])
    ax.set_ylabel(L["out_rms"])
    ax.legend(loc="lower right")
    figs["eps_scale"] = fig

    # Gradient norm per block at initialization (the depth sweep is a table)
    p = res["pre_post"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    arms = [("post", "C0", "o", "-"), ("pre", "C1", "s", "-"),
            ("pre_big_embed", "C2", "^", "--"),
            ("post_xavier", "C3", "v", "--")]
    for key, color, marker, style in arms:
        a = p[key]
        blocks = range(1, len(a["grads_median"]) + 1)
        ax.plot(blocks, a["grads_median"], color=color, marker=marker,
                markersize=4, linestyle=style,
                label=L[key].format(gain=p["embed_gain_control"]))
        if style == "-":  # the range over seeds of the two main arms
            ax.fill_between(blocks, a["grads_min"], a["grads_max"],
                            color=color, alpha=0.15, linewidth=0)
    ax.set_ylim(bottom=0)
    ax.set_xticks(list(blocks))
    ax.set_xlabel(L["block"])
    ax.set_ylabel(L["grad_norm"])
    ax.set_title(L["per_block"].format(n=p["n_layers"], seeds=p["n_seeds"]))
    ax.legend()
    figs["grad_norms"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
