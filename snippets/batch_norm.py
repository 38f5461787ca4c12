# %% [markdown] lang="en"
# # Batch normalization
#
# The notebook of the page [*Batch normalization*]({{ page_url }}) of *Why N(0, 1)?*. Each section
# below runs one experiment of the page and prints what it found; the last cell computes every number
# the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 批归一化
#
# 这是《为什么是N(0, 1)？》中[批归一化]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## The transform, in training and in evaluation
#
# In training mode BatchNorm standardizes each unit with the mean and variance of the current
# mini-batch, then multiplies by γ and adds β; evaluation mode uses running averages collected during
# training instead, so that a prediction does not depend on the other samples. The cell puts a batch
# of {{ batch_norm.transform.batch }} samples through `nn.BatchNorm1d` with γ = 2 and β = −1 and
# prints how far the output is from the formula. PyTorch normalizes with the biased variance
# (difference {{ batch_norm.transform.err_biased | sci(1) }}, against
# {{ batch_norm.transform.err_unbiased | fixed(3) }} with the unbiased one) but stores the unbiased
# variance in `running_var` (difference {{ batch_norm.transform.running_var_err_unbiased | sci(1) }}).
# The output has mean {{ batch_norm.transform.output_mean | fixed(3) }} = β and standard deviation
# {{ batch_norm.transform.output_std | fixed(3) }} ≈ γ. After this one step in training mode the
# running statistics are still far from the batch's, and the evaluation output differs from the
# training output by up to {{ batch_norm.transform.eval_vs_train_max_diff | fixed(1) }}: a network
# evaluated in the wrong mode is a classic bug.

# %% [markdown] lang="zh"
# ## 变换本身：训练模式与评估模式
#
# 训练模式下，BatchNorm用当前小批量的均值和方差对每个单元做标准化，再乘以γ、加上β；
# 评估模式则改用训练期间累积的滑动平均，这样一个样本的预测就不再依赖于同批的其他样本。
# 代码把一个含{{ batch_norm.transform.batch }}个样本的批量送入`nn.BatchNorm1d`，取γ = 2、β = −1，
# 打印输出与公式相差多少。PyTorch用有偏方差做归一化（相差{{ batch_norm.transform.err_biased | sci(1) }}，
# 而用无偏方差时相差{{ batch_norm.transform.err_unbiased | fixed(3) }}），
# 却把无偏方差存进`running_var`（相差{{ batch_norm.transform.running_var_err_unbiased | sci(1) }}）。
# 输出的均值为{{ batch_norm.transform.output_mean | fixed(3) }} = β，
# 标准差为{{ batch_norm.transform.output_std | fixed(3) }} ≈ γ。在训练模式下只走这一步之后，
# 滑动统计量离这个批量的统计量还很远，评估输出与训练输出最多相差
# {{ batch_norm.transform.eval_vs_train_max_diff | fixed(1) }}：用错模式评估网络是一个经典的bug。

# %%
# --8<-- [start:transform]
import torch
from torch import nn


def bn_check(batch: int = 8, features: int = 4, seed: int = 0) -> dict:
    """Compare nn.BatchNorm1d with the formula, in train and eval mode."""
    torch.manual_seed(seed)
    x = 3 * torch.randn(batch, features) + 5
    bn = nn.BatchNorm1d(features)  # eps = 1e-5, momentum = 0.1
    with torch.no_grad():
        bn.weight.fill_(2.0)  # gamma
        bn.bias.fill_(-1.0)  # beta
    y = bn(x)  # train mode: batch statistics, then updates running stats
    mean = x.mean(0)
    var_biased = x.var(0, unbiased=False)  # divides by n
    var_unbiased = x.var(0, unbiased=True)  # divides by n - 1
    eps = bn.eps

    def formula(m, v):
        return 2.0 * (x - m) / torch.sqrt(v + eps) - 1.0

    def max_diff(a, b):
        return (a - b).abs().max().item()

    bn.eval()  # eval mode: running statistics, no dependence on the batch
    y_eval = bn(x)
    rm, rv = bn.running_mean, bn.running_var
    return {
        "err_biased": max_diff(y, formula(mean, var_biased)),
        "err_unbiased": max_diff(y, formula(mean, var_unbiased)),
        # running_var starts at 1: after one step 0.9 * 1 + 0.1 * var
        "running_var_err_unbiased": max_diff(rv, 0.9 + 0.1 * var_unbiased),
        "running_var_err_biased": max_diff(rv, 0.9 + 0.1 * var_biased),
        "output_mean": y.mean(0).mean().item(),  # = beta
        "output_std": y.std(0, unbiased=False).mean().item(),  # ~ gamma
        "eval_err": max_diff(y_eval, formula(rm, rv)),
        "eval_vs_train_max_diff": max_diff(y_eval, y),
    }


if __name__ == "__main__":
    for key, value in bn_check().items():
        print(f"{key:26s} {value:.3g}")
# --8<-- [end:transform]

# %% [markdown] lang="en"
# ## The bias before BatchNorm is redundant
#
# Adding a constant to every sample of a unit adds it to the batch mean and leaves each sample's
# difference from the mean unchanged, so the bias of a linear layer followed by BatchNorm does
# nothing; β takes its role. The cell shifts the bias of a linear layer before BatchNorm by
# {{ batch_norm.bias.shift | fixed(0) }} and prints the change of the output and the gradients. The
# output changes by at most {{ batch_norm.bias.max_output_change | sci(1) }} (float32 rounding), and
# the gradient with respect to the bias is {{ batch_norm.bias.bias_grad_max | sci(1) }}, against
# {{ batch_norm.bias.weight_grad_max | sci(1) }} for the weights. Hence `nn.Linear(..., bias=False)`
# before BatchNorm.

# %% [markdown] lang="zh"
# ## BatchNorm之前的偏置是多余的
#
# 给一个单元的每个样本都加上同一个常数，批量均值也随之加上这个常数，而每个样本与均值之差不变；
# 所以如果线性层后面紧跟BatchNorm，这个线性层的偏置不起任何作用，它的职责由β承担。
# 代码把BatchNorm之前那个线性层的偏置平移{{ batch_norm.bias.shift | fixed(0) }}，打印输出的变化和梯度：
# 输出最多只变化{{ batch_norm.bias.max_output_change | sci(1) }}（float32舍入误差），
# 损失对偏置的梯度为{{ batch_norm.bias.bias_grad_max | sci(1) }}，
# 而对权重的梯度为{{ batch_norm.bias.weight_grad_max | sci(1) }}。所以BatchNorm之前的层通常写成`nn.Linear(..., bias=False)`。

# %%
# --8<-- [start:bias]
import torch
from torch import nn


def bias_check(shift: float = 10.0, seed: int = 0) -> dict:
    """Linear(8, 4) -> BatchNorm1d(4), train mode, before and after a bias shift."""
    torch.manual_seed(seed)
    x = torch.randn(32, 8)
    linear, bn = nn.Linear(8, 4), nn.BatchNorm1d(4)
    y = bn(linear(x))
    y.square().sum().backward()  # any loss
    bias_grad = linear.bias.grad.abs().max().item()  # 0 up to rounding
    with torch.no_grad():
        linear.bias += shift  # the same constant added to every sample
    y_shifted = bn(linear(x))
    return {
        "max_output_change": (y_shifted - y).abs().max().item(),
        "bias_grad_max": bias_grad,
        "weight_grad_max": linear.weight.grad.abs().max().item(),
    }


if __name__ == "__main__":
    r = bias_check()
    print(f"output change after bias += 10: {r['max_output_change']:.2e}")
    print(f"max |dL/d bias| = {r['bias_grad_max']:.2e}, "
          f"max |dL/d W| = {r['weight_grad_max']:.2e}")
# --8<-- [end:bias]

# %% [markdown] lang="en"
# ## The batch couples the samples
#
# In training mode the batch mean and variance depend on the whole batch, so one sample's output
# depends on the other samples. The cell keeps sample 0 fixed and replaces its
# {{ batch_norm.coupling.batch - 1 }} batch mates: its output changes by up to
# {{ batch_norm.coupling.train_diff | fixed(2) }} in training mode and by
# {{ batch_norm.coupling.eval_diff | fixed(2) }} in evaluation mode. A batch of one sample has no
# variance to estimate, and `BatchNorm1d` refuses it in training mode with a `ValueError`, while
# evaluation mode accepts it. This coupling is one reason why small batches hurt BatchNorm, and why
# sequence models normalize each sample on its own instead (LayerNorm).

# %% [markdown] lang="zh"
# ## 批量把样本耦合在一起
#
# 训练模式下，批量的均值和方差取决于整个批量，因此一个样本的输出会依赖于同批的其他样本。代码固定样本0，
# 只替换与它同批的{{ batch_norm.coupling.batch - 1 }}个样本：
# 训练模式下它的输出最多变化{{ batch_norm.coupling.train_diff | fixed(2) }}，
# 评估模式下变化{{ batch_norm.coupling.eval_diff | fixed(2) }}。只有一个样本的批量无从估计方差，
# `BatchNorm1d`在训练模式下会抛出`ValueError`拒绝它，评估模式下则可以接受。这种耦合是小批量不利于BatchNorm的原因之一，
# 也是序列模型改用层归一化（LayerNorm）、对每个样本单独归一化的原因之一。

# %%
# --8<-- [start:coupling]
import torch
from torch import nn


def coupling_check(batch: int = 16, seed: int = 0) -> dict:
    """Sample 0's BatchNorm output with two different sets of batch mates."""
    torch.manual_seed(seed)
    bn = nn.BatchNorm1d(4)
    x0 = torch.randn(1, 4)
    batch_a = torch.cat([x0, torch.randn(batch - 1, 4)])
    batch_b = torch.cat([x0, torch.randn(batch - 1, 4) + 1.0])
    train_diff = (bn(batch_a)[0] - bn(batch_b)[0]).abs().max().item()
    try:
        bn(x0)  # train mode, a batch of one sample
        error = ""
    except ValueError as e:
        error = str(e)
    bn.eval()
    eval_diff = (bn(batch_a)[0] - bn(batch_b)[0]).abs().max().item()
    eval_single_ok = bn(x0).shape == (1, 4)
    return {
        "train_diff": train_diff,
        "eval_diff": eval_diff,
        "error": error,
        "eval_single_ok": eval_single_ok,
    }


if __name__ == "__main__":
    r = coupling_check()
    print(f"train mode: sample 0 changes by {r['train_diff']:.3f}")
    print(f"eval mode:  sample 0 changes by {r['eval_diff']:.3f}")
    print(f"batch of 1 in train mode -> ValueError: {r['error']}")
    print(f"batch of 1 in eval mode works: {r['eval_single_ok']}")
# --8<-- [end:coupling]

# %% [markdown] lang="en"
# ## A deep sigmoid network, with and without BatchNorm
#
# {{ batch_norm.training.depth }} sigmoid layers of width {{ batch_norm.training.width }} on the 8×8
# digits, trained for {{ batch_norm.training.epochs }} epochs by SGD with momentum
# {{ batch_norm.training.momentum }} and batch size {{ batch_norm.training.batch_size }}, in four
# versions: no BatchNorm at PyTorch's default initialization; no BatchNorm with an initialization made
# for the sigmoid (weights N(0, 16/n_in) and biases that subtract the mean ½ of the sigmoids below);
# BatchNorm before every sigmoid; and BatchNorm followed by a random shift and scale (after Santurkar
# et al. 2018). The cell trains each version at the learning rates
# {{ batch_norm.training.lrs | join(", ") }} with two seeds (the page uses
# {{ batch_norm.training.seeds | length }}) and prints, per rate, the mean final training loss and the
# range of the test accuracy; the runs of one version are trained side by side, their weights stacked
# along a leading "run" dimension. In the full run behind {{ fig("training") }}, the
# default-initialized network stays at chance at every rate (training loss within
# {{ batch_norm.training.default.max_loss_gap_ln10 | fixed(3) }} of ln 10 =
# {{ batch_norm.training.ln10 | fixed(3) }}, test accuracy at most
# {{ batch_norm.training.default.max_acc_any_lr | pct(1) }}), while at each version's best rate the
# mean test accuracy is {{ batch_norm.training.sigmoid_init.mean_acc | pct(1) }} with the sigmoid
# initialization, {{ batch_norm.training.bn.mean_acc | pct(1) }} with BatchNorm and
# {{ batch_norm.training.noisy_bn.mean_acc | pct(1) }} with the noisy BatchNorm. The default network
# fails on scale, not on saturation: after training, the spread of a sigmoid's input across samples
# falls from {{ batch_norm.training.default.sample_std[0] | fixed(2) }} at layer 1 to
# {{ batch_norm.training.default.sample_std[-1] | sci(1) }} at layer {{ batch_norm.training.depth }}
# ({{ fig("preact_hist") }}); BatchNorm rescues the network from this bad initialization and, in this
# short budget, trains it somewhat better than the sigmoid initialization does
# ({{ batch_norm.training.bn_minus_sigmoid_init_pts | fixed(1) }} points), which does not show that
# the network needs BatchNorm to train.

# %% [markdown] lang="zh"
# ## 一个深层sigmoid网络，有无BatchNorm
#
# 在8×8手写数字上训练一个由{{ batch_norm.training.depth }}个sigmoid层组成、宽度为{{ batch_norm.training.width }}的网络，
# 用动量为{{ batch_norm.training.momentum }}的SGD训练{{ batch_norm.training.epochs }}个迭代周期，
# 批量大小为{{ batch_norm.training.batch_size }}，共四个版本：无BatchNorm，用PyTorch默认初始化；无BatchNorm，
# 用为sigmoid设计的初始化（权重取自N(0, 16/n_in)，偏置减去前一层sigmoid输出的均值½）；每个sigmoid之前加BatchNorm；
# BatchNorm之后再加随机平移和缩放（仿照Santurkar et al. 2018）。
# 代码对每个版本在学习率{{ batch_norm.training.lrs | join("、") }}下各用两个随机种子训练（页面用
# {{ batch_norm.training.seeds | length }}个），并对每个学习率打印平均最终训练损失和测试准确率的范围；
# 同一版本的各次运行同时训练，权重沿着最前面新增的“运行”维度堆叠。在{{ fig("training") }}背后的完整实验中，
# 默认初始化的网络在每个学习率下都停在随机猜测水平（训练损失与ln 10 = {{ batch_norm.training.ln10 | fixed(3) }}
# 之差不超过{{ batch_norm.training.default.max_loss_gap_ln10 | fixed(3) }}，
# 测试准确率不超过{{ batch_norm.training.default.max_acc_any_lr | pct(1) }}）；而在各自的最佳学习率下，
# 用sigmoid初始化时平均测试准确率为{{ batch_norm.training.sigmoid_init.mean_acc | pct(1) }}，
# 用BatchNorm时为{{ batch_norm.training.bn.mean_acc | pct(1) }}，
# 用加噪声的BatchNorm时为{{ batch_norm.training.noisy_bn.mean_acc | pct(1) }}。默认初始化的网络失败的原因是尺度，
# 而不是饱和：训练之后，sigmoid输入在样本间的离散程度从第1层的{{ batch_norm.training.default.sample_std[0] | fixed(2) }}
# 降到第{{ batch_norm.training.depth }}层的{{ batch_norm.training.default.sample_std[-1] | sci(1) }}
# （{{ fig("preact_hist") }}）；BatchNorm把网络从这种糟糕的初始化中救了出来，而且在这么短的训练预算内，
# 它比sigmoid初始化训练得稍好一些（高{{ batch_norm.training.bn_minus_sigmoid_init_pts | fixed(1) }}个百分点），
# 但这并不表明这个网络非得有BatchNorm才能训练。

# %%
# --8<-- [start:deep_sigmoid]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F


def load_digits_split() -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits, stratified 75/25 split, standardized with the training split."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mean, std = X_tr.mean(), X_tr.std()  # one scale for all 64 pixels
    X_tr = torch.tensor((X_tr - mean) / std, dtype=torch.float32)
    X_te = torch.tensor((X_te - mean) / std, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


def sigmoid_mlp(arm: str, depth: int = 10, width: int = 32) -> nn.Sequential:
    """64 -> width (x depth, sigmoid) -> 10. arm:
    'default'      no BatchNorm, PyTorch's default initialization;
    'sigmoid_init' no BatchNorm, weights N(0, 16 / fan_in) and a bias that
                   subtracts the mean 1/2 of the sigmoids below: since
                   sigmoid(z) - 1/2 = tanh(z / 2) / 2, this is a tanh network
                   with weight variance 1 / fan_in;
    'bn'           Linear (no bias) -> BatchNorm1d before every sigmoid;
    'noisy_bn'     the same, plus Santurkar et al.'s random shift and scale."""
    layers, fan_in = [], 64
    for i in range(depth):
        norm = arm in ("bn", "noisy_bn")
        linear = nn.Linear(fan_in, width, bias=not norm)
        if arm == "sigmoid_init":
            with torch.no_grad():
                linear.weight.normal_(0, 4 / math.sqrt(fan_in))
                # W h + b = W (h - 1/2) for the sigmoid outputs h of the layer below
                centre = -0.5 * linear.weight.sum(1) if i else torch.zeros(width)
                linear.bias.copy_(centre)
        layers += [linear, nn.BatchNorm1d(width)] if norm else [linear]
        layers.append(nn.Sigmoid())
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    return nn.Sequential(*layers)


def stack(nets: list[nn.Sequential]) -> list[dict]:
    """The parameters of R networks of one shape, layer by layer, stacked:
    weights (R, fan_in, fan_out), biases and BatchNorm's gamma, beta and
    running statistics (R, 1, width)."""
    layers = []
    for modules in zip(*nets):
        get = lambda name: torch.stack([getattr(m, name).detach() for m in modules])
        if isinstance(modules[0], nn.Linear):
            bias = get("bias")[:, None] if modules[0].bias is not None else None
            layers.append({"W": get("weight").transpose(1, 2), "b": bias})
        elif isinstance(modules[0], nn.BatchNorm1d):
            layers[-1].update({k: get(name)[:, None] for k, name in [
                ("gamma", "weight"), ("beta", "bias"),
                ("mean", "running_mean"), ("var", "running_var")]})
    return layers


def forward(layers, x, train=False, noise=None, max_scale=2.0, shift_std=1.0):
    """x (R, batch, 64) -> logits (R, batch, 10), and the input of every sigmoid.
    noise: a generator for noisy BatchNorm's random scale, uniform in
    [1 / max_scale, max_scale], and shift, N(0, shift_std^2)."""
    h, inputs = x, []
    for k, L in enumerate(layers):
        z = h @ L["W"] if L["b"] is None else torch.baddbmm(L["b"], h, L["W"])
        if k == len(layers) - 1:
            return z, inputs
        if "gamma" in L:  # nn.BatchNorm1d's own function, the R nets' units side by side
            R, n, width = z.shape
            stats = [L[key].view(-1) for key in ("mean", "var", "gamma", "beta")]
            z = F.batch_norm(z.transpose(0, 1).reshape(n, R * width), *stats,
                             training=train)  # momentum 0.1, eps 1e-5, as nn.BatchNorm1d
            z = z.view(n, R, width).transpose(0, 1)
            if noise is not None and train:  # a fresh scale and shift per unit and step
                scale = torch.empty(R, 1, width).uniform_(1 / max_scale, max_scale,
                                                          generator=noise)
                z = z * scale + shift_std * torch.randn(R, 1, width, generator=noise)
        inputs.append(z)
        h = torch.sigmoid(z)


def train_runs(
    arm: str,
    lrs: tuple = (0.03, 0.1, 0.3, 1.0),
    seeds: tuple = (0, 1, 2, 3, 4),
    epochs: int = 8,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Every (seed, learning rate) pair of one arm, trained side by side with
    mini-batch SGD and momentum (exactly torch.optim.SGD's update). Runs with the
    same seed share their initial weights and their order of mini-batches.
    Returns, per run, the final training loss and the test accuracy (evaluation
    mode), and the stacked layers."""
    X_tr, y_tr, X_te, y_te = load_digits_split()
    runs = [(seed, lr) for seed in seeds for lr in lrs]
    nets = []
    for seed, _ in runs:
        torch.manual_seed(seed)
        nets.append(sigmoid_mlp(arm))
    layers = stack(nets)
    params = [L[k] for L in layers for k in ("W", "b", "gamma", "beta")
              if L.get(k) is not None]
    for p in params:
        p.requires_grad_()
    velocity = [torch.zeros_like(p) for p in params]  # SGD's momentum buffers
    lr = torch.tensor([lr for _, lr in runs]).view(-1, 1, 1)
    orders = {s: torch.Generator().manual_seed(s) for s in seeds}
    noise = torch.Generator().manual_seed(0) if arm == "noisy_bn" else None
    for _ in range(epochs):
        perm = {s: torch.randperm(len(X_tr), generator=g) for s, g in orders.items()}
        batches = torch.stack([perm[seed] for seed, _ in runs]).split(batch_size, 1)
        for idx in batches:  # idx: (runs, batch), each run its own samples
            logits, _ = forward(layers, X_tr[idx], train=True, noise=noise)
            loss = F.cross_entropy(logits.transpose(1, 2), y_tr[idx])  # mean over runs
            grads = torch.autograd.grad(loss * len(runs), params)  # = per-run sums
            with torch.no_grad():
                for p, g, v in zip(params, grads, velocity):
                    v.mul_(momentum).add_(g)
                    p.sub_(lr * v)
    with torch.no_grad():
        logits, _ = forward(layers, X_tr.expand(len(runs), -1, -1))
        loss = F.cross_entropy(logits.transpose(1, 2), y_tr.expand(len(runs), -1),
                               reduction="none").mean(1)
        pred = forward(layers, X_te.expand(len(runs), -1, -1))[0].argmax(2)
    return {
        "runs": runs,
        "train_loss": loss.tolist(),
        "test_acc": (pred == y_te).float().mean(1).tolist(),
        "classes_predicted": [p.unique().numel() for p in pred],
        "layers": layers,
    }


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    print(f"chance-level loss ln(10) = {math.log(10):.3f}")
    for arm in ["default", "sigmoid_init", "bn", "noisy_bn"]:
        r = train_runs(arm, seeds=(0, 1))  # the page uses five seeds
        print(arm)
        for lr in (0.03, 0.1, 0.3, 1.0):
            i = [k for k, (_, l) in enumerate(r["runs"]) if l == lr]
            loss = sum(r["train_loss"][k] for k in i) / len(i)
            accs = [r["test_acc"][k] for k in i]
            print(f"  lr {lr:4}: train loss {loss:.3f}, test accuracy "
                  f"{min(accs):.1%} to {max(accs):.1%} over {len(i)} seeds")
# --8<-- [end:deep_sigmoid]

# %% [markdown] lang="en"
# ## Before or after the activation?
#
# With a bad initialization, W = `randn`, a layer of width {{ batch_norm.placement.width }} gives
# pre-activations with standard deviation about sqrt({{ batch_norm.placement.width }}): BatchNorm
# before tanh rescales them to unit variance before tanh can saturate, while BatchNorm after tanh
# comes too late. The cell stacks {{ batch_norm.placement.n_layers }} such layers on a batch of
# {{ batch_norm.placement.batch }} inputs and prints the theory for z ~ N(0, 1),
# {{ batch_norm.placement.theory_unit | pct(2) }}, and the fraction of saturated units (|tanh| >
# 0.99) at each layer ({{ fig("placement") }}). With BatchNorm before tanh the fraction is
# {{ batch_norm.placement.before[0] | pct(2) }} at layer 1 and
# {{ batch_norm.placement.before[-1] | pct(2) }} at layer {{ batch_norm.placement.n_layers }}; with
# BatchNorm after tanh it is {{ batch_norm.placement.after[0] | pct(1) }} and
# {{ batch_norm.placement.after[-1] | pct(1) }}, as the theory for z ~ N(0,
# {{ batch_norm.placement.width }}) predicts ({{ batch_norm.placement.theory_after | pct(1) }}).

# %% [markdown] lang="zh"
# ## 放在激活函数之前还是之后？
#
# 在糟糕的初始化下（W取`randn`），宽度为{{ batch_norm.placement.width }}的层给出的预激活值标准差约为
# sqrt({{ batch_norm.placement.width }})：放在tanh之前的BatchNorm能赶在tanh饱和之前把它们缩放到单位方差，
# 放在tanh之后就为时已晚了。代码把{{ batch_norm.placement.n_layers }}个这样的层叠起来，
# 输入一个含{{ batch_norm.placement.batch }}个样本的批量，先打印z ~ N(0, 1)时的理论值
# {{ batch_norm.placement.theory_unit | pct(2) }}，再打印每一层饱和单元（|tanh| > 0.99）
# 的比例（{{ fig("placement") }}）。BatchNorm放在tanh之前时，这一比例在第1层为
# {{ batch_norm.placement.before[0] | pct(2) }}，在第{{ batch_norm.placement.n_layers }}层为
# {{ batch_norm.placement.before[-1] | pct(2) }}；放在tanh之后时，
# 分别为{{ batch_norm.placement.after[0] | pct(1) }}和{{ batch_norm.placement.after[-1] | pct(1) }}，
# 与z ~ N(0, {{ batch_norm.placement.width }})时的理论值（{{ batch_norm.placement.theory_after | pct(1) }}）
# 一致。

# %%
# --8<-- [start:placement]
import math

import torch


def saturation_by_layer(
    order: str,
    n_layers: int = 10,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> list[float]:
    """Fraction of |tanh| > 0.99 per layer with W = randn (a bad init).

    order 'before': h <- tanh(BN(W h)); 'after': h <- BN(tanh(W h)).
    BN is the train-mode transform with gamma = 1, beta = 0.
    """
    torch.manual_seed(seed)

    def bn(z):
        return (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)

    h = torch.randn(batch, width)
    fractions = []
    for _ in range(n_layers):
        z = h @ torch.randn(width, width)  # std(z) ~ sqrt(width) = 16
        t = torch.tanh(bn(z)) if order == "before" else torch.tanh(z)
        fractions.append((t.abs() > 0.99).float().mean().item())
        h = t if order == "before" else bn(t)
    return fractions


if __name__ == "__main__":
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
    print(f"theory, z ~ N(0, 1): {2 * (1 - Phi(math.atanh(0.99))):.4f}")
    for order in ["before", "after"]:
        f = saturation_by_layer(order)
        print(f"BN {order:6s} tanh, saturated:", " ".join(f"{v:.3f}" for v in f))
# --8<-- [end:placement]

# %% [markdown] lang="en"
# ## BatchNorm does not make anything Gaussian
#
# BatchNorm only subtracts a mean and divides by a standard deviation: within one batch, and in
# evaluation mode, it is an affine map per unit, which leaves the skewness and the kurtosis unchanged.
# The cell passes {{ batch_norm.skew.n }} exponential samples (skewness 2 and excess kurtosis 6 in
# theory) through `BatchNorm1d` in training and in evaluation mode and prints the skewness and excess
# kurtosis before and after. The skewness is {{ batch_norm.skew.input[0] | fixed(3) }} before and
# {{ batch_norm.skew.train[0] | fixed(3) }} (training mode) and
# {{ batch_norm.skew.eval[0] | fixed(3) }} (evaluation mode) after, while the output has mean
# {{ batch_norm.skew.train_mean | sci(1) }} and standard deviation
# {{ batch_norm.skew.train_std | fixed(4) }}: mean 0 and variance 1 are not N(0, 1).

# %% [markdown] lang="zh"
# ## BatchNorm不会让任何东西变成高斯分布
#
# BatchNorm只是减去均值、再除以标准差：在一个批量之内以及在评估模式下，对每个单元而言这是一个仿射变换，
# 偏度和峰度都保持不变。代码把{{ batch_norm.skew.n }}个服从指数分布的样本（理论偏度为2、超额峰度为6）
# 分别在训练模式和评估模式下送入`BatchNorm1d`，打印前后的偏度和超额峰度。
# 偏度在变换前为{{ batch_norm.skew.input[0] | fixed(3) }}，变换后为{{ batch_norm.skew.train[0] | fixed(3) }}（训
# 练模式）和{{ batch_norm.skew.eval[0] | fixed(3) }}（评估模式），而输出的均值为
# {{ batch_norm.skew.train_mean | sci(1) }}，标准差为{{ batch_norm.skew.train_std | fixed(4) }}：均值为0、
# 方差为1并不等于N(0, 1)。

# %%
# --8<-- [start:not_gaussian]
import torch
from torch import nn


def skew_kurt(v: torch.Tensor) -> tuple[float, float]:
    """Sample skewness and excess kurtosis of a 1-D tensor."""
    z = (v - v.mean()) / v.std(unbiased=False)
    return (z**3).mean().item(), (z**4).mean().item() - 3


def skewed_through_bn(n: int = 20000, seed: int = 0) -> dict:
    """Exponential(1) inputs (skewness 2, excess kurtosis 6) through BatchNorm."""
    torch.manual_seed(seed)
    x = torch.empty(n, 1, dtype=torch.float64).exponential_()
    bn = nn.BatchNorm1d(1, dtype=torch.float64)
    y_train = bn(x).detach()
    bn.eval()
    y_eval = bn(x).detach()
    out = {"input": skew_kurt(x[:, 0]), "train": skew_kurt(y_train[:, 0])}
    out["eval"] = skew_kurt(y_eval[:, 0])
    out["train_mean"] = y_train.mean().item()
    out["train_std"] = y_train.std(unbiased=False).item()
    return out


if __name__ == "__main__":
    r = skewed_through_bn()
    for k in ["input", "train", "eval"]:
        print(f"{k:6s} skewness {r[k][0]:.3f}, excess kurtosis {r[k][1]:.3f}")
    print(f"after BN (train): mean {r['train_mean']:.1e}, std {r['train_std']:.4f}")
# --8<-- [end:not_gaussian]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (all learning rates and seeds) and returns
# every number the page quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the
# page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模（全部学习率和随机种子）运行全部实验，返回页面引用的每一个数字；
# `figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

ARMS = ["default", "sigmoid_init", "bn", "noisy_bn"]
HIST_LAYERS = [1, 5, 10]
HIST_ARMS = ["default", "bn"]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _arm_results(arm: str, X_tr: torch.Tensor, edges: np.ndarray) -> dict:
    """One arm's sweep: per learning rate and seed, and at the best rate (the lowest
    mean final training loss over the seeds: the question is which network trains)."""
    r = train_runs(arm)
    lrs, seeds = _defaults(train_runs)["lrs"], _defaults(train_runs)["seeds"]
    at = {(s, lr): k for k, (s, lr) in enumerate(r["runs"])}
    grid = {key: [[r[key][at[s, lr]] for s in seeds] for lr in lrs]
            for key in ["train_loss", "test_acc", "classes_predicted"]}
    mean_loss = [sum(v) / len(v) for v in grid["train_loss"]]
    best = min(range(len(lrs)), key=lambda i: mean_loss[i])
    accs = grid["test_acc"][best]
    out = {
        "sweep_loss": grid["train_loss"],  # [lr][seed]
        "sweep_acc": grid["test_acc"],
        "sweep_mean_loss": mean_loss,
        "sweep_mean_acc": [sum(v) / len(v) for v in grid["test_acc"]],
        "max_acc_any_lr": max(max(v) for v in grid["test_acc"]),
        "max_classes_any_lr": max(max(v) for v in grid["classes_predicted"]),
        "best_lr": lrs[best],
        "train_loss": grid["train_loss"][best],  # per seed, at the best rate
        "test_acc": accs,
        "classes_predicted": grid["classes_predicted"][best],
        "mean_train_loss": sum(grid["train_loss"][best]) / len(seeds),
        "max_loss_gap_ln10": max(abs(v - math.log(10)) for row in grid["train_loss"] for v in row),
        "mean_acc": sum(accs) / len(accs),
        "min_acc": min(accs),
        "max_acc": max(accs),
    }
    # the first seed's network at the best rate: what enters each sigmoid
    _, zs = forward(r["layers"], X_tr.expand(len(r["runs"]), -1, -1))
    zs = [z[at[seeds[0], lrs[best]]].detach() for z in zs]
    if arm in HIST_ARMS:
        hist = []
        for layer in HIST_LAYERS:
            c, _ = np.histogram(zs[layer - 1].clamp(-8, 8).numpy(), bins=edges)
            hist.append((c / c.sum()).tolist())
        out["hist_fraction"] = hist
    out["preact_std"] = [z.std().item() for z in zs]
    # spread across samples, per unit: the input-dependent part
    out["sample_std"] = [z.std(0).mean().item() for z in zs]
    s = out["sample_std"]  # geometric mean factor from one layer to the next
    out["decay_per_layer"] = (s[-1] / s[0]) ** (1 / (len(s) - 1))
    return out


def _training_results() -> dict:
    X_tr, _, _, _ = load_digits_split()
    edges = np.linspace(-8, 8, 41)
    noise = {k: v for k, v in _defaults(forward).items() if k in ("max_scale", "shift_std")}
    out = {**_defaults(sigmoid_mlp, train_runs), **noise, "arms": ARMS}
    out["ln10"] = math.log(10)
    out["hist_layers"], out["hist_edges"] = HIST_LAYERS, edges.tolist()
    for arm in ARMS:
        out[arm] = _arm_results(arm, X_tr, edges)
    # what Santurkar et al.'s noise costs, and what BatchNorm adds to a trainable plain net
    out["bn_minus_noisy_pts"] = 100 * (out["bn"]["mean_acc"] - out["noisy_bn"]["mean_acc"])
    out["bn_minus_sigmoid_init_pts"] = 100 * (out["bn"]["mean_acc"]
                                              - out["sigmoid_init"]["mean_acc"])
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
    placement = {o: saturation_by_layer(o) for o in ["before", "after"]}
    placement.update(_defaults(saturation_by_layer))
    placement["theory_unit"] = 2 * (1 - Phi(math.atanh(0.99)))
    std_z = math.sqrt(placement["width"])  # z = W h, Var(h) = 1, W = randn
    placement["theory_after"] = 2 * (1 - Phi(math.atanh(0.99) / std_z))
    return {
        "transform": bn_check() | _defaults(bn_check),
        "bias": bias_check() | _defaults(bias_check),
        "coupling": coupling_check() | _defaults(coupling_check),
        "training": _training_results(),
        "placement": placement,
        "skew": skewed_through_bn() | _defaults(skewed_through_bn),
    }


LABELS = {
    "en": {
        "layer": "layer",
        "saturated": "fraction saturated (|tanh| > 0.99)",
        "before": "BN before tanh",
        "after": "BN after tanh",
        "theory": "theory, z ~ N(0, 1)",
        "preact": "pre-activation (input to sigmoid)",
        "fraction": "fraction of values",
        "default": "no BatchNorm, default init",
        "sigmoid_init": "no BatchNorm, sigmoid init",
        "bn": "BatchNorm",
        "noisy_bn": "noisy BatchNorm",
        "layer_n": "layer {n}",
        "lr": "learning rate",
        "train_loss": "final training loss",
        "test_acc": "test accuracy",
        "chance": "chance",
    },
    "zh": {
        "layer": "层",
        "saturated": "饱和比例（|tanh| > 0.99）",
        "before": "BN在tanh之前",
        "after": "BN在tanh之后",
        "theory": "理论值，z ~ N(0, 1)",
        "preact": "预激活值（sigmoid的输入）",
        "fraction": "取值比例",
        "default": "无BatchNorm，默认初始化",
        "sigmoid_init": "无BatchNorm，sigmoid初始化",
        "bn": "BatchNorm",
        "noisy_bn": "加噪声的BatchNorm",
        "layer_n": "第{n}层",
        "lr": "学习率",
        "train_loss": "最终训练损失",
        "test_acc": "测试准确率",
        "chance": "随机猜测",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    t = res["training"]
    edges = np.array(t["hist_edges"])
    # the learning-rate sweep: mean over seeds, a band from the lowest to the highest seed
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    lrs = np.array(t["lrs"])
    markers = ["o", "s", "^", "D"]
    for k, arm in enumerate(t["arms"]):
        a = t[arm]
        best = t["lrs"].index(a["best_lr"])
        for ax, key in zip(axes, ["sweep_loss", "sweep_acc"]):
            per_lr = np.array(a[key])  # [lr][seed]
            mean = per_lr.mean(1)
            ax.fill_between(lrs, per_lr.min(1), per_lr.max(1), color=f"C{k}",
                            alpha=0.2, linewidth=0)
            ax.plot(lrs, mean, color=f"C{k}", marker=markers[k], markersize=4,
                    label=L[arm])
            ax.plot(lrs[best], mean[best], marker=markers[k], markersize=9,
                    color=f"C{k}", markerfacecolor="none", linestyle="none")
    axes[0].axhline(t["ln10"], color="C7", linestyle=":", label=L["chance"])
    axes[1].axhline(0.1, color="C7", linestyle=":")
    axes[0].set_yscale("log")
    axes[0].set_ylabel(L["train_loss"])
    axes[1].set_ylabel(L["test_acc"])
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(lrs, [f"{v:g}" for v in lrs])
        ax.minorticks_off()
        ax.set_xlabel(L["lr"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["training"] = fig

    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 3.2), sharey=True, layout="constrained"
    )
    for ax, arm in zip(axes, HIST_ARMS):
        pairs = zip(t["hist_layers"], t[arm]["hist_fraction"])
        for k, (layer, frac) in enumerate(pairs):
            ax.stairs(frac, edges, color=f"C{k}", linestyle=["-", "--", ":"][k],
                      label=L["layer_n"].format(n=layer))
        ax.set_title(L[arm])
        ax.set_xlabel(L["preact"])
    axes[0].set_ylabel(L["fraction"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["preact_hist"] = fig

    p = res["placement"]
    fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
    for k, order in enumerate(["before", "after"]):
        ax.plot(range(1, len(p[order]) + 1), p[order], color=f"C{k}",
                marker="o", label=L[order])
    ax.axhline(p["theory_unit"], color="C2", linestyle="--", label=L["theory"])
    ax.set_yscale("log")
    ax.set_xlabel(L["layer"])
    ax.set_ylabel(L["saturated"])
    ax.legend()
    figs["placement"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
