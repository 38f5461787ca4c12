# %% [markdown]
# # Putting it together
#
# This is the notebook of the *Putting it together* page of *Why N(0, 1)?*.

# %% [markdown]
# ## The recipe
#
# The seed article's complete example (standardized inputs, Kaiming initialization,
# BatchNorm), moved to the 8x8 digits and trained.

# %%
# --8<-- [start:recipe]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn


def load_split(standardize: bool = True) -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits (pixels 0..16), stratified 75/25 split. standardize: a
    StandardScaler fit on the training split only, then applied to both."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if standardize:
        scaler = StandardScaler().fit(X_tr)  # mean and std of each pixel
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    X_tr = torch.tensor(X_tr, dtype=torch.float32)
    X_te = torch.tensor(X_te, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


class Net(nn.Module):
    """The seed's network with 64 inputs: 64 -> 256 -> 128 -> 10."""

    def __init__(self):
        super().__init__()
        # BatchNorm subtracts the batch mean: a bias before it does nothing
        self.fc1 = nn.Linear(64, 256, bias=False)
        self.bn1 = nn.BatchNorm1d(256)
        self.fc2 = nn.Linear(256, 128, bias=False)
        self.bn2 = nn.BatchNorm1d(128)
        self.fc3 = nn.Linear(128, 10)  # output layer: PyTorch's default init
        # Kaiming: std = sqrt(2 / fan_in). The default nonlinearity,
        # 'leaky_relu' with a = 0, has the same gain sqrt(2) as 'relu'.
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")
        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity="relu")

    def forward(self, x):
        x = torch.relu(self.bn1(self.fc1(x)))
        x = torch.relu(self.bn2(self.fc2(x)))
        return self.fc3(x)


def fit(
    seed: int = 0,
    epochs: int = 10,
    lr: float = 0.05,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Mini-batch SGD with momentum; test accuracy in eval mode."""
    X_tr, y_tr, X_te, y_te = load_split()
    torch.manual_seed(seed)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        model.train()  # BatchNorm: statistics of the mini-batch
        for idx in torch.randperm(len(X_tr)).split(batch_size):
            opt.zero_grad()
            nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx]).backward()
            opt.step()
    model.eval()  # BatchNorm: running statistics, one image at a time is fine
    with torch.no_grad():
        acc = (model(X_te).argmax(1) == y_te).float().mean().item()
        loss = nn.functional.cross_entropy(model(X_tr), y_tr).item()
    return {"test_acc": acc, "train_loss": loss,
            "fc1_std": model.fc1.weight.std().item()}


if __name__ == "__main__":
    gain = nn.init.calculate_gain
    print(f"gain('leaky_relu', 0) = {gain('leaky_relu', 0):.6f}, "
          f"gain('relu') = {gain('relu'):.6f}, sqrt(2) = {math.sqrt(2):.6f}")
    r = fit()
    print(f"fc1 weight std {r['fc1_std']:.4f} (sqrt(2/64) = "
          f"{math.sqrt(2 / 64):.4f})")
    print(f"test accuracy {r['test_acc']:.1%}, train loss {r['train_loss']:.4f}")
# --8<-- [end:recipe]

# %% [markdown]
# ## The ablation
#
# Remove one ingredient at a time (and all three, and every pair), same optimizer,
# same epochs, three seeds; two hidden layers and fifteen.

# %%
# --8<-- [start:ablation]
import itertools
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn


def load_split(standardize: bool = True) -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits (pixels 0..16), stratified 75/25 split. standardize: a
    StandardScaler fit on the training split only, then applied to both."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if standardize:
        scaler = StandardScaler().fit(X_tr)  # mean and std of each pixel
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    X_tr = torch.tensor(X_tr, dtype=torch.float32)
    X_te = torch.tensor(X_te, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


# name: (standardized inputs, initialization of the hidden layers, BatchNorm)
CONFIGS = {
    "recipe": (True, "kaiming", True),
    "raw_inputs": (False, "kaiming", True),
    "bad_init": (True, "randn", True),
    "no_bn": (True, "kaiming", False),
    "none": (False, "randn", False),  # all three removed
    "only_std": (True, "randn", False),  # one ingredient kept
    "only_init": (False, "kaiming", False),
    "only_bn": (False, "randn", True),
}


def make_mlp(hidden: tuple = (256, 128), bn: bool = True,
             init: str = "kaiming") -> nn.Sequential:
    """64 -> hidden -> 10, ReLU. bn: Linear(bias=False) -> BatchNorm1d.
    init 'kaiming': kaiming_normal_ (std sqrt(2 / fan_in)); 'randn': N(0, 1)
    weights, as torch.randn(fan_out, fan_in). Hidden layers only; the output
    layer keeps PyTorch's default, as in the seed."""
    sizes = [64, *hidden]
    linears = [nn.Linear(a, b, bias=not bn)
               for a, b in itertools.pairwise(sizes)]
    out = nn.Linear(sizes[-1], 10)
    for lin in linears:
        if init == "kaiming":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        else:
            with torch.no_grad():
                lin.weight.copy_(torch.randn(lin.weight.shape))
    layers = []
    for lin in linears:
        layers += [lin, nn.BatchNorm1d(lin.out_features)] if bn else [lin]
        layers.append(nn.ReLU())
    return nn.Sequential(*layers, out)


def train_config(
    name: str,
    hidden: tuple = (256, 128),
    seed: int = 0,
    epochs: int = 10,
    lr: float = 0.05,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Train one configuration; stop early if the loss is no longer finite."""
    standardize, init, bn = CONFIGS[name]
    X_tr, y_tr, X_te, y_te = load_split(standardize)
    torch.manual_seed(seed)
    model = make_mlp(hidden, bn, init)
    hidden_linears = [m for m in model if isinstance(m, nn.Linear)][:-1]
    w0 = [lin.weight.detach().clone() for lin in hidden_linears]
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []  # mean mini-batch training loss of each epoch
    for _ in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(X_tr)).split(batch_size):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X_tr))
        if not math.isfinite(losses[-1]):
            break  # diverged: the weights are inf or nan
    model.eval()
    with torch.no_grad():
        acc = (model(X_te).argmax(1) == y_te).float().mean().item()
        dead, h = [], X_tr  # units that are 0 for every training image
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                dead.append((h <= 0).all(0).float().mean().item())
        moved = [((lin.weight - w).norm() / w.norm()).item()  # ||W - W0||/||W0||
                 for lin, w in zip(hidden_linears, w0)]
    return {"train_loss": losses, "test_acc": acc,
            "diverged": not math.isfinite(losses[-1]),
            "dead": dead, "moved": moved}


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster
    for hidden, names in [((256, 128), list(CONFIGS)),
                          ((64,) * 15, list(CONFIGS)[:5])]:
        print(f"{len(hidden)} hidden layers, seed 0:")
        for name in names:
            r = train_config(name, hidden)
            print(f"  {name:10s} test accuracy {r['test_acc']:6.1%}  first-epoch"
                  f" loss {r['train_loss'][0]:9.3g}  last {r['train_loss'][-1]:.3g}"
                  f"  diverged {r['diverged']}")
# --8<-- [end:ablation]

# %% [markdown]
# ## Why: what each ingredient does to the scale at initialization
#
# BatchNorm makes the forward pass blind to the weight scale; without it the scale
# multiplies through every layer.

# %%
# --8<-- [start:scale]
import itertools
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def train_pixels(standardize: bool) -> torch.Tensor:
    """Training split of the digits, raw (0..16) or standardized per pixel."""
    X, y = load_digits(return_X_y=True)
    X_tr, _, _, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if standardize:
        std = X_tr.std(0)
        X_tr = (X_tr - X_tr.mean(0)) / (std + (std == 0))  # as StandardScaler
    return torch.tensor(X_tr, dtype=torch.float32)


def forward(x, weights, bias, bn):
    """ReLU net; bn: train-mode BatchNorm (gamma 1, beta 0) after each Linear."""
    h = x
    for i, W in enumerate(weights[:-1]):
        z = h @ W.T + (bias if i == 0 else 0)  # a bias on the first layer
        if bn:
            z = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)
        h = torch.relu(z)
    return h @ weights[-1].T


def scale_check(hidden: tuple = (256, 128), bn: bool = True,
                standardize: bool = True, seed: int = 0) -> dict:
    """The same random directions at two scales: N(0, 1) weights (randn) and
    the same weights times the Kaiming std sqrt(2 / fan_in)."""
    torch.manual_seed(seed)
    x = train_pixels(standardize)
    sizes = [64, *hidden]
    Z = [torch.randn(b, a) for a, b in itertools.pairwise(sizes)]
    W_out = torch.randn(10, sizes[-1]) / math.sqrt(sizes[-1])
    y = torch.randint(0, 10, (len(x),))
    out = {}
    for name, factors in [("randn", [1.0] * len(Z)),
                          ("kaiming", [math.sqrt(2 / a) for a in sizes[:-1]])]:
        weights = [(f * w).requires_grad_() for f, w in zip(factors, Z)]
        bias = torch.zeros(sizes[1], requires_grad=True)
        logits = forward(x, weights + [W_out], bias, bn)
        torch.nn.functional.cross_entropy(logits, y).backward()
        with torch.no_grad():
            z1 = x @ weights[0].T
        out[name] = {
            "logits": logits.detach(),
            "logit_std": logits.std().item(),
            "z1_std": z1.std().item(),  # first pre-activation, before BN
            "grad_norm": [w.grad.norm().item() for w in weights],
            "bias_grad_max": bias.grad.abs().max().item(),
        }
    diff = (out["randn"].pop("logits") - out["kaiming"].pop("logits")).abs()
    out["max_logit_diff"] = diff.max().item()
    return out


if __name__ == "__main__":
    r = scale_check()
    print("with BatchNorm, randn vs Kaiming: max |logit difference| "
          f"{r['max_logit_diff']:.1e}")
    for name in ["randn", "kaiming"]:
        g = " ".join(f"{v:.3g}" for v in r[name]["grad_norm"])
        print(f"  {name:7s} weight gradient norms {g}, max |bias gradient| "
              f"{r[name]['bias_grad_max']:.1e}")
    for hidden in [(256, 128), (64,) * 15]:
        for std in [True, False]:
            r = scale_check(hidden, bn=False, standardize=std)
            print(f"no BatchNorm, {len(hidden):2d} hidden layers, "
                  f"{'standardized' if std else 'raw'} inputs: logit std "
                  f"randn {r['randn']['logit_std']:.2e}, Kaiming "
                  f"{r['kaiming']['logit_std']:.2e}; first pre-activation "
                  f"std (Kaiming) {r['kaiming']['z1_std']:.2f}")
# --8<-- [end:scale]

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's figures
# from them (the site's build renders them in its light and dark themes, in English and Chinese).

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

SEEDS = [0, 1, 2]
SHALLOW = (256, 128)
DEEP_LAYERS, DEEP_WIDTH = 15, 64
DEEP = (DEEP_WIDTH,) * DEEP_LAYERS
ONE_AT_A_TIME = ["recipe", "raw_inputs", "bad_init", "no_bn", "none"]
LR_CHECK = 0.01
LR_CHECK_CONFIGS = ["recipe", "no_bn"]
REBOUND = 1.5  # a loss that ends this many times above its lowest value rose again
LOSS_AXIS_TOP = 30.0  # top of the loss axis in the curves figure


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _finite_or_none(values: list[float]) -> list[float | None]:
    """JSON has no inf/nan: a non-finite loss becomes null."""
    return [v if math.isfinite(v) else None for v in values]


def _summary(runs: list[dict]) -> dict:
    accs = [r["test_acc"] for r in runs]
    finite = [r["train_loss"][-1] for r in runs if not r["diverged"]]
    return {
        "test_acc": accs,
        "acc_mean": sum(accs) / len(accs),
        "acc_min": min(accs),
        "acc_max": max(accs),
        "diverged": sum(r["diverged"] for r in runs),
        "curves": [_finite_or_none(r["train_loss"]) for r in runs],
        "first_loss_min": min(  # null if every run was nan from the start
            (r["train_loss"][0] for r in runs
             if math.isfinite(r["train_loss"][0])), default=None),
        "first_loss_max": max(
            (r["train_loss"][0] for r in runs
             if math.isfinite(r["train_loss"][0])), default=None),
        "final_loss_mean": sum(finite) / len(finite) if finite else None,
        "rebound": sum(r["train_loss"][-1] > REBOUND * min(r["train_loss"])
                       for r in runs if not r["diverged"]),
        "dead": None if runs[0]["diverged"] else runs[0]["dead"],  # seed 0
        "moved": None if runs[0]["diverged"] else runs[0]["moved"],  # seed 0
    }


def _ablation(hidden: tuple, names: list[str], **kwargs) -> dict:
    out = {n: _summary([train_config(n, hidden, seed=s, **kwargs)
                        for s in SEEDS]) for n in names}
    for n in names:  # accuracy lost against the full recipe, in points
        out[n]["drop_pts"] = 100 * (out["recipe"]["acc_mean"]
                                    - out[n]["acc_mean"])
    return out


def _recipe_results() -> dict:
    X_tr, _, X_te, _ = load_split(standardize=True)
    X_raw, _, _, _ = load_split(standardize=False)
    r = fit()
    return {
        **r,
        "gain_default": nn.init.calculate_gain("leaky_relu", 0),
        "gain_relu": nn.init.calculate_gain("relu"),
        "kaiming_std_fc1": math.sqrt(2 / 64),
        "n_train": len(X_tr),
        "constant_pixels": int((X_raw.std(0) == 0).sum()),
        "max_abs_train": X_tr.abs().max().item(),
        "max_abs_test": X_te.abs().max().item(),
    }


def _scale_results() -> dict:
    bn = scale_check()
    out = {
        "bn": {k: bn[k] for k in ["randn", "kaiming", "max_logit_diff"]},
        "kaiming_factor": [math.sqrt(a / 2) for a in [64, *SHALLOW[:-1]]],
        "deep_factor": math.sqrt(DEEP_WIDTH / 2),
        "x2_raw": train_pixels(False).pow(2).mean().item(),
        "x2_std": train_pixels(True).pow(2).mean().item(),
    }
    bn_ratio = [a / b for a, b in zip(bn["kaiming"]["grad_norm"],
                                      bn["randn"]["grad_norm"])]
    out["bn"]["grad_ratio"] = bn_ratio  # Kaiming / randn gradient norm
    for key, hidden in [("shallow", SHALLOW), ("deep", DEEP)]:
        for std, inputs in [(True, "std"), (False, "raw")]:
            r = scale_check(hidden, bn=False, standardize=std)
            out[f"{key}_{inputs}"] = {
                "randn_logit_std": r["randn"]["logit_std"],
                "kaiming_logit_std": r["kaiming"]["logit_std"],
                "kaiming_z1_std": r["kaiming"]["z1_std"],
            }
        out[f"{key}_scale_product"] = math.prod(
            math.sqrt(a / 2) for a in [64, *hidden[:-1]])
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    shallow = _ablation(SHALLOW, list(CONFIGS))
    deep = _ablation(DEEP, ONE_AT_A_TIME)
    lr_check = {
        key: _ablation(hidden, LR_CHECK_CONFIGS, lr=LR_CHECK)
        for key, hidden in [("shallow", SHALLOW), ("deep", DEEP)]
    }
    with_bn = [n for n, (_, _, bn) in CONFIGS.items() if bn]
    first_epoch = {"shallow_bn_max": max(shallow[n]["first_loss_max"]
                                         for n in with_bn)}
    recipe = _recipe_results()
    recipe["same_as_ablation"] = (
        recipe["test_acc"] == shallow["recipe"]["test_acc"][0])
    return {
        "settings": {**_defaults(train_config), "hidden": list(SHALLOW),
                     "seeds": SEEDS,
                     "shallow": list(SHALLOW), "deep_layers": DEEP_LAYERS,
                     "deep_width": DEEP_WIDTH, "lr_check": LR_CHECK,
                     "rebound": REBOUND, "loss_axis_top": LOSS_AXIS_TOP,
                     "configs": {k: list(v) for k, v in CONFIGS.items()}},
        "ln10": math.log(10),
        "recipe": recipe,
        "shallow": shallow,
        "deep": deep,
        "first_epoch": first_epoch,
        "lr_check": lr_check,
        "scale": _scale_results(),
    }


LABELS = {
    "en": {
        "recipe": "full recipe",
        "raw_inputs": "raw inputs",
        "bad_init": "randn init",
        "no_bn": "no BatchNorm",
        "none": "all three removed",
        "shallow": "2 hidden layers (256, 128)",
        "deep": "15 hidden layers (64 each)",
        "epoch": "epoch",
        "loss": "training loss",
        "acc": "test accuracy",
        "seed_dots": "single seeds",
        "nan": "loss became nan",
        "ln10": "ln 10 (uniform guess)",
    },
    "zh": {
        "recipe": "完整配方",
        "raw_inputs": "原始输入",
        "bad_init": "randn初始化",
        "no_bn": "无BatchNorm",
        "none": "三者全去掉",
        "shallow": "2个隐藏层（256、128）",
        "deep": "15个隐藏层（各64）",
        "epoch": "迭代周期",
        "loss": "训练损失",
        "acc": "测试准确率",
        "seed_dots": "单个随机种子",
        "nan": "损失变为nan",
        "ln10": "ln 10（均匀猜测）",
    },
}

_STYLES = {"recipe": "-", "raw_inputs": "--", "bad_init": "-.", "no_bn": ":",
           "none": (0, (5, 1, 1, 1, 1, 1))}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Training-loss curves, one line per seed
    top = res["settings"]["loss_axis_top"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.8), sharey=True,
                             layout="constrained")
    for ax, key in zip(axes, ["shallow", "deep"]):
        nan_label = L["nan"]
        for k, name in enumerate(ONE_AT_A_TIME):
            for s, curve in enumerate(res[key][name]["curves"]):
                loss = np.array(curve, dtype=float)  # null -> nan: not drawn
                ax.plot(np.arange(1, len(loss) + 1), loss, color=f"C{k}",
                        linestyle=_STYLES[name],
                        label=L[name] if s == 0 else None)
                if curve[-1] is None:  # diverged: mark the epoch
                    ax.plot([len(loss)], [top / 2], color=f"C{k}",
                            marker="x", linestyle="none", label=nan_label)
                    nan_label = None
        ax.axhline(res["ln10"], color="C5", linestyle=":",
                   label=L["ln10"] if key == "shallow" else None)
        ax.set_yscale("log")
        ax.set_ylim(top=top)  # larger first-epoch losses are off the chart
        ax.set_title(L[key])
        ax.set_xlabel(L["epoch"])
    axes[0].set_ylabel(L["loss"])
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["curves"] = fig

    # Final test accuracy per configuration, both depths
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    x = np.arange(len(ONE_AT_A_TIME))
    for k, key in enumerate(["shallow", "deep"]):
        shift = (k - 0.5) * 0.38
        means = [res[key][n]["acc_mean"] for n in ONE_AT_A_TIME]
        ax.bar(x + shift, means, width=0.38, color=f"C{k}", label=L[key])
        for i, n in enumerate(ONE_AT_A_TIME):
            accs = res[key][n]["test_acc"]
            ax.plot([x[i] + shift] * len(accs), accs, color="C4", marker="o",
                    linestyle="none",
                    label=L["seed_dots"] if (k, i) == (1, 0) else None)
    ax.set_xticks(x, [L[n].replace(" ", "\n", 1) if lang == "en" else L[n]
                      for n in ONE_AT_A_TIME])
    ax.set_ylim(0, 1)
    ax.set_ylabel(L["acc"])
    handles, labels = ax.get_legend_handles_labels()
    order = [labels.index(L[k]) for k in ["shallow", "deep", "seed_dots"]]
    fig.legend([handles[i] for i in order], [labels[i] for i in order],
               loc="outside lower center", ncol=2)
    figs["accuracy"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
