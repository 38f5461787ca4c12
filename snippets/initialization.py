# %% [markdown]
# # Weight initialization
#
# This is the notebook of the *Weight initialization* page of *Why N(0, 1)?*.

# %% [markdown]
# ## Why not zeros or a constant
#
# A constant initialization never breaks the symmetry between hidden units; all zeros also blocks the gradients.

# %%
# --8<-- [start:symmetry]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_digits_split() -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits, stratified 75/25 split, standardized.

    Standardized with the training split's mean and std.
    """
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mean, std = X_tr.mean(), X_tr.std()  # one scale for all 64 pixels
    X_tr = torch.tensor((X_tr - mean) / std, dtype=torch.float32)
    X_te = torch.tensor((X_te - mean) / std, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


def train_small_mlp(init: str, steps: int = 300, lr: float = 0.5) -> dict:
    """Train 64 -> 32 (tanh) -> 10 with full-batch gradient descent.

    init is 'constant', 'zeros' or 'random'.
    """
    torch.manual_seed(0)
    X_tr, y_tr, X_te, y_te = load_digits_split()
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    for layer in (model[0], model[2]):
        if init == "constant":
            nn.init.constant_(layer.weight, 0.1)
        elif init == "zeros":
            nn.init.zeros_(layer.weight)
        else:  # random, LeCun scale: std = 1 / sqrt(fan_in)
            nn.init.normal_(layer.weight, std=1 / math.sqrt(layer.in_features))
        nn.init.zeros_(layer.bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    first_grad = None
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X_tr), y_tr).backward()
        if first_grad is None:
            first_grad = model[0].weight.grad.abs().max().item()
        opt.step()
    W1 = model[0].weight.detach()
    with torch.no_grad():
        test_acc = (model(X_te).argmax(1) == y_te).float().mean().item()
    return {
        "rank": int(
            torch.linalg.matrix_rank(W1)
        ),  # of the 32 x 64 first-layer weight
        "max_row_difference": (W1 - W1[0])
        .abs()
        .max()
        .item(),  # 0: all hidden units identical
        "first_layer_max_abs": W1.abs().max().item(),
        "first_step_grad_max_abs": first_grad,
        "test_acc": test_acc,
    }


if __name__ == "__main__":
    for init in ["constant", "zeros", "random"]:
        r = train_small_mlp(init)
        print(
            f"{init:8s}  rank(W1) = {r['rank']:2d}"
            f"  test accuracy = {r['test_acc']:.1%}"
            f"  max |W1| = {r['first_layer_max_abs']:.3f}"
        )
# --8<-- [end:symmetry]

# %% [markdown]
# ## Why `torch.randn(784, 256)` is wrong
#
# With N(0, 1) weights the pre-activation std grows like sqrt(fan_in) and tanh saturates.

# %%
# --8<-- [start:randn]
import math

import torch


def tanh_layer(
    fan_in: int,
    scale: float,
    fan_out: int = 256,
    batch: int = 1000,
    seed: int = 0,
):
    """Pre-activations z = x @ W and outputs tanh(z).

    x ~ N(0, 1) and W = scale * randn(fan_in, fan_out).
    """
    torch.manual_seed(seed)
    x = torch.randn(batch, fan_in)  # unit-variance inputs
    W = scale * torch.randn(
        fan_in, fan_out
    )  # x @ W: fan_in is the first dimension here
    z = x @ W
    return z, torch.tanh(z)


if __name__ == "__main__":
    for name, scale in [
        ("randn", 1.0),
        ("randn / sqrt(784)", 1 / math.sqrt(784)),
    ]:
        z, h = tanh_layer(784, scale)
        print(
            f"{name:18s} std(z) = {z.std():5.2f}"
            f"   |tanh| > 0.99: {(h.abs() > 0.99).float().mean():6.1%}"
            f"   mean tanh'(z) = {(1 - h**2).mean():.3f}"
        )
    for fan_in in [16, 64, 256, 1024, 4096]:
        z, _ = tanh_layer(fan_in, 1.0)
        print(
            f"fan_in {fan_in:4d}: std(x @ randn) = {z.std():5.1f}, "
            f"sqrt(fan_in) = {math.sqrt(fan_in):5.1f}"
        )
# --8<-- [end:randn]

# %% [markdown]
# ## The rules, in PyTorch
#
# LeCun, Xavier and Kaiming, their `torch.nn.init` calls, the gains, and what `nn.Linear` really does.

# %%
# --8<-- [start:init_rules]
import math

import torch
from torch import nn


def init_std_table(
    fan_in: int = 784, fan_out: int = 256, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Measured std of a weight after each rule, next to the rule's formula."""
    torch.manual_seed(seed)
    w = torch.empty(
        fan_out, fan_in
    )  # nn.Linear layout: (out_features, in_features)
    table = {}
    nn.init.kaiming_normal_(w, nonlinearity="linear")  # LeCun: Var = 1 / fan_in
    table["LeCun normal"] = (w.std().item(), math.sqrt(1 / fan_in))
    nn.init.xavier_normal_(w)  # Var = 2 / (fan_in + fan_out)
    table["Xavier normal"] = (w.std().item(), math.sqrt(2 / (fan_in + fan_out)))
    nn.init.xavier_uniform_(w)  # U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    table["Xavier uniform"] = (
        w.std().item(),
        math.sqrt(2 / (fan_in + fan_out)),
    )
    nn.init.kaiming_normal_(
        w, mode="fan_in", nonlinearity="relu"
    )  # Var = 2 / fan_in
    table["Kaiming normal, fan_in"] = (w.std().item(), math.sqrt(2 / fan_in))
    nn.init.kaiming_normal_(
        w, mode="fan_out", nonlinearity="relu"
    )  # Var = 2 / fan_out
    table["Kaiming normal, fan_out"] = (w.std().item(), math.sqrt(2 / fan_out))
    nn.init.kaiming_uniform_(
        w, nonlinearity="relu"
    )  # U(-a, a), a = sqrt(6 / fan_in)
    table["Kaiming uniform, fan_in"] = (w.std().item(), math.sqrt(2 / fan_in))
    # What nn.Linear does by default: kaiming_uniform_(weight, a=sqrt(5))
    # = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    default = nn.Linear(fan_in, fan_out).weight
    table["nn.Linear default"] = (
        default.std().item(),
        math.sqrt(1 / (3 * fan_in)),
    )
    # Pitfall: torch.nn.init reads fan_in from dim 1. On W of shape
    # (fan_in, fan_out) used as x @ W, mode="fan_in" silently uses fan_out;
    # mode="fan_out" is the one that gives 2 / fan_in.
    w_t = torch.empty(fan_in, fan_out)
    nn.init.kaiming_normal_(w_t, nonlinearity="relu")
    table["Kaiming fan_in on (fan_in, fan_out) tensor"] = (
        w_t.std().item(),
        math.sqrt(2 / fan_out),
    )
    return table


def gains() -> dict[str, float]:
    """torch.nn.init.calculate_gain: the factor compensating each nonlinearity."""
    names = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    return {name: nn.init.calculate_gain(name) for name in names}


if __name__ == "__main__":
    for name, (measured, formula) in init_std_table().items():
        print(f"{name:43s} measured std {measured:.4f}   formula {formula:.4f}")
    print({name: round(g, 4) for name, g in gains().items()})
# --8<-- [end:init_rules]

# %% [markdown]
# ## Signal through depth
#
# Activation std per layer of deep tanh and ReLU stacks under four initializations.

# %%
# --8<-- [start:depth]
import torch
from torch import nn


def deep_forward(
    act: str,
    init: str,
    n_layers: int = 50,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> list[torch.Tensor]:
    """Activations of every layer of a bias-free stack h <- act(W h).

    Input x ~ N(0, 1), float32.
    init: 'small' = N(0, 0.01^2), 'unit' = N(0, 1), 'xavier' = Xavier normal,
    'kaiming' = Kaiming normal (ReLU).
    """
    torch.manual_seed(seed)
    f = torch.tanh if act == "tanh" else torch.relu
    h = torch.randn(batch, width)
    activations = []
    for _ in range(n_layers):
        W = torch.empty(width, width)
        if init == "small":
            nn.init.normal_(W, std=0.01)
        elif init == "unit":
            nn.init.normal_(W, std=1.0)
        elif init == "xavier":
            nn.init.xavier_normal_(W)
        else:
            nn.init.kaiming_normal_(W, nonlinearity="relu")
        h = f(h @ W.T)
        activations.append(h)
    return activations


if __name__ == "__main__":
    for act in ["tanh", "relu"]:
        for init in ["small", "unit", "xavier", "kaiming"]:
            hs = deep_forward(act, init)
            stds = [
                hs[i - 1].double().std().item() for i in (1, 10, 25, 50)
            ]  # float64: the std cannot overflow
            print(
                f"{act:4s} {init:7s} activation std at layers 1, 10, 25, 50: "
                + "  ".join(f"{s:.2e}" for s in stds)
            )
    # relu + unit: float32 overflows to inf (then inf - inf = nan) after ~35 layers;
    # relu + small: float32 underflows to exact zeros just before layer 50.
# --8<-- [end:depth]

# %% [markdown]
# ## Shape versus variance
#
# Normal and uniform weights with the same std give the same signal.

# %%
# --8<-- [start:shape_vs_variance]
import math

import torch


def stds_through_depth(
    act: str,
    shape: str,
    std: float,
    n_layers: int = 50,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> list[float]:
    """Activation std per layer when every W has entries of the given std.

    The entries are drawn normal or uniform. Both shapes are made from the
    same uniform numbers u, so the shape is the only difference.
    """
    torch.manual_seed(seed)
    f = torch.tanh if act == "tanh" else torch.relu
    h = torch.randn(batch, width)
    stds = []
    for _ in range(n_layers):
        u = torch.rand(width, width)
        if shape == "normal":
            W = (
                std * math.sqrt(2) * torch.erfinv(2 * u - 1)
            )  # inverse CDF: N(0, std^2)
        else:
            W = (
                std * math.sqrt(3) * (2 * u - 1)
            )  # U(-a, a) with a = sqrt(3) * std
        h = f(h @ W.T)
        stds.append(h.double().std().item())
    return stds


if __name__ == "__main__":
    n = 256
    for act, std, name in [
        ("relu", math.sqrt(2 / n), "ReLU, Kaiming std"),
        ("tanh", math.sqrt(1 / n), "tanh, Xavier std"),
        ("relu", math.sqrt(1 / n), "ReLU, Xavier std (wrong for ReLU)"),
    ]:
        normal = stds_through_depth(act, "normal", std)[-1]
        uniform = stds_through_depth(act, "uniform", std)[-1]
        print(
            f"{name:34s} std at layer 50: normal {normal:.2e}, "
            f"uniform {uniform:.2e}, ratio {uniform / normal:.3f}"
        )
# --8<-- [end:shape_vs_variance]

# %% [markdown]
# ## Training a deep ReLU network
#
# Xavier stalls, Kaiming trains (the analogue of He et al. 2015, Fig. 3).

# %%
# --8<-- [start:training]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_digits_split() -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits, stratified 75/25 split, standardized.

    Standardized with the training split's mean and std.
    """
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mean, std = X_tr.mean(), X_tr.std()  # one scale for all 64 pixels
    X_tr = torch.tensor((X_tr - mean) / std, dtype=torch.float32)
    X_te = torch.tensor((X_te - mean) / std, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


def deep_relu_mlp(
    init: str, hidden_layers: int = 20, width: int = 128
) -> nn.Sequential:
    """64 -> width -> ... -> width -> 10, ReLU, no normalization, zero biases.

    init is 'xavier' or 'kaiming'.
    """
    sizes = [64] + [width] * hidden_layers + [10]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        linear = nn.Linear(fan_in, fan_out)
        if init == "xavier":
            nn.init.xavier_normal_(linear.weight)
        else:
            nn.init.kaiming_normal_(
                linear.weight, mode="fan_in", nonlinearity="relu"
            )
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the output layer


def train(
    init: str,
    seed: int = 0,
    epochs: int = 20,
    lr: float = 0.002,
    batch_size: int = 128,
    momentum: float = 0.9,
) -> dict:
    """Mini-batch SGD with momentum at a fixed learning rate.

    Records training loss and test accuracy after every epoch.
    """
    X_tr, y_tr, X_te, y_te = load_digits_split()
    torch.manual_seed(seed)
    model = deep_relu_mlp(init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses, accs = [], []
    for _ in range(epochs):
        for idx in torch.randperm(len(X_tr)).split(batch_size):
            opt.zero_grad()
            nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx]).backward()
            opt.step()
        with torch.no_grad():
            losses.append(nn.functional.cross_entropy(model(X_tr), y_tr).item())
            accs.append((model(X_te).argmax(1) == y_te).float().mean().item())
    return {"train_loss": losses, "test_acc": accs}


if __name__ == "__main__":
    print(f"chance-level loss ln(10) = {math.log(10):.3f}")
    for init in ["xavier", "kaiming"]:
        r = train(init, seed=0)
        print(
            f"{init:7s} after {len(r['train_loss'])} epochs: "
            f"train loss {r['train_loss'][-1]:.3f}, "
            f"test accuracy {r['test_acc'][-1]:.1%}"
        )
# --8<-- [end:training]

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
from matplotlib.ticker import NullFormatter

SATURATION = 0.99  # a tanh unit counts as saturated when |tanh(z)| > 0.99
HIST_LAYERS = [1, 10, 25, 50]
TRAIN_SEEDS = [0, 1, 2]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _finite_or_none(values: list[float]) -> list[float | None]:
    """JSON has no inf/nan: a non-finite std (float32 overflow) becomes null."""
    return [v if math.isfinite(v) else None for v in values]


def _symmetry_results() -> dict:
    return {
        init: train_small_mlp(init) for init in ["constant", "zeros", "random"]
    } | {"hidden_units": 32, "steps": 300, "lr": 0.5, "constant_value": 0.1}


def _randn_results() -> dict:
    edges = np.linspace(-1, 1, 41)
    out = {
        "fan_in": 784,
        "fan_out": 256,
        "batch": 1000,
        "saturation_threshold": SATURATION,
        "hist_edges": edges.tolist(),
    }
    for name, scale in [("randn", 1.0), ("scaled", 1 / math.sqrt(784))]:
        z, h = tanh_layer(784, scale)
        counts, _ = np.histogram(h.numpy(), bins=edges)
        out[name] = {
            "preact_std": z.std().item(),
            "saturated": (h.abs() > SATURATION).float().mean().item(),
            "mean_derivative": (1 - h**2).mean().item(),
            "hist_fraction": (counts / counts.sum()).tolist(),
        }
    fan_ins = [16, 64, 256, 784, 1024, 4096]
    out["fan_in_sweep"] = {
        "fan_in": fan_ins,
        "preact_std": [tanh_layer(n, 1.0)[0].std().item() for n in fan_ins],
        "sqrt_fan_in": [math.sqrt(n) for n in fan_ins],
    }
    return out


def _init_rules_results() -> dict:
    keys = {
        "LeCun normal": "lecun_normal",
        "Xavier normal": "xavier_normal",
        "Xavier uniform": "xavier_uniform",
        "Kaiming normal, fan_in": "kaiming_normal_fan_in",
        "Kaiming normal, fan_out": "kaiming_normal_fan_out",
        "Kaiming uniform, fan_in": "kaiming_uniform_fan_in",
        "nn.Linear default": "linear_default",
        "Kaiming fan_in on (fan_in, fan_out) tensor": "kaiming_transposed_layout",
    }
    table = init_std_table(784, 256)
    out = {
        "fan_in": 784,
        "fan_out": 256,
        "std": {
            keys[name]: {"measured": m, "formula": f}
            for name, (m, f) in table.items()
        },
        "gain": gains(),
    }
    lin = out["std"]["linear_default"]["measured"]
    out["linear_default_var_over_lecun"] = lin**2 * 784
    out["linear_default_var_over_kaiming"] = lin**2 * 784 / 2
    out["linear_default_bound"] = 1 / math.sqrt(784)
    return out


def _depth_results() -> dict:
    inits = ["small", "unit", "xavier", "kaiming"]
    edges = np.linspace(-1, 1, 51)
    out = {
        **_defaults(deep_forward),
        "stds": {},
        "hist_layers": HIST_LAYERS,
        "hist_edges": edges.tolist(),
        "hist_fraction": {},
    }
    for act in ["tanh", "relu"]:
        out["stds"][act] = {}
        for init in inits:
            hs = deep_forward(act, init)
            stds = [h.double().std().item() for h in hs]
            out["stds"][act][init] = _finite_or_none(stds)
            if act == "tanh":
                last = hs[-1]
                out[f"tanh_{init}_saturated_final"] = (
                    (last.abs() > SATURATION).float().mean().item()
                )
                hist = []
                for layer in HIST_LAYERS:
                    counts, _ = np.histogram(hs[layer - 1].numpy(), bins=edges)
                    hist.append((counts / counts.sum()).tolist())
                out["hist_fraction"][init] = hist
            if act == "relu" and init == "unit":
                bad = [
                    i + 1
                    for i, h in enumerate(hs)
                    if not torch.isfinite(h).all()
                ]
                out["relu_unit_first_nonfinite_layer"] = bad[0] if bad else None
                out["relu_unit_last_finite_std"] = max(
                    s for s in stds if math.isfinite(s)
                )
            if act == "relu" and init == "small":
                zero = [i + 1 for i, h in enumerate(hs) if (h == 0).all()]
                out["relu_small_first_all_zero_layer"] = (
                    zero[0] if zero else None
                )
            del hs
    s = out["stds"]
    # Per-layer factor of ReLU + Xavier, geometric mean over layers 1..50
    rx = s["relu"]["xavier"]
    out["relu_xavier_factor_per_layer"] = (rx[-1] / rx[0]) ** (
        1 / (len(rx) - 1)
    )
    out["relu_kaiming_first_std"] = s["relu"]["kaiming"][0]
    out["relu_kaiming_final_std"] = s["relu"]["kaiming"][-1]
    out["tanh_xavier_final_std"] = s["tanh"]["xavier"][-1]
    out["tanh_small_final_std"] = s["tanh"]["small"][-1]
    out["tanh_unit_final_std"] = s["tanh"]["unit"][-1]
    # Finite width: one network's std wanders.
    # Ten independent ReLU + Kaiming stacks.
    finals = []
    for seed in range(10):
        finals.append(
            deep_forward("relu", "kaiming", seed=seed)[-1].double().std().item()
        )
    out["relu_kaiming_final_std_seeds"] = finals
    out["relu_kaiming_final_std_min"] = min(finals)
    out["relu_kaiming_final_std_max"] = max(finals)
    return out


def _shape_results() -> dict:
    settings = _defaults(stds_through_depth)
    n = settings["width"]
    configs = {
        "relu_kaiming": ("relu", math.sqrt(2 / n)),
        "tanh_xavier": ("tanh", math.sqrt(1 / n)),
        "relu_xavier": ("relu", math.sqrt(1 / n)),
    }
    out = {"stds": {}, "final_ratio": {}, **settings}
    for key, (act, std) in configs.items():
        normal = stds_through_depth(act, "normal", std)
        uniform = stds_through_depth(act, "uniform", std)
        out["stds"][key] = {"normal": normal, "uniform": uniform}
        out["final_ratio"][key] = uniform[-1] / normal[-1]
    ratios = [
        u / v
        for d in out["stds"].values()
        for u, v in zip(d["uniform"], d["normal"])
    ]
    out["min_ratio_any_layer"], out["max_ratio_any_layer"] = (
        min(ratios),
        max(ratios),
    )
    return out


def _training_results() -> dict:
    out = {
        **_defaults(deep_relu_mlp, train),
        "seeds": TRAIN_SEEDS,
        "ln10": math.log(10),
    }
    for init in ["xavier", "kaiming"]:
        runs = [train(init, seed=seed) for seed in TRAIN_SEEDS]
        out[init] = {
            "loss_curves": [r["train_loss"] for r in runs],
            "acc_curves": [r["test_acc"] for r in runs],
            "final_train_loss": [r["train_loss"][-1] for r in runs],
            "final_test_acc": [r["test_acc"][-1] for r in runs],
        }
    out["xavier"]["max_loss_drop"] = max(
        math.log(10) - l for l in out["xavier"]["final_train_loss"]
    )
    out["xavier"]["max_test_acc"] = max(out["xavier"]["final_test_acc"])
    out["kaiming"]["min_test_acc"] = min(out["kaiming"]["final_test_acc"])
    out["kaiming"]["max_train_loss"] = max(out["kaiming"]["final_train_loss"])
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "symmetry": _symmetry_results(),
        "randn": _randn_results(),
        "init_rules": _init_rules_results(),
        "depth": _depth_results(),
        "shape": _shape_results(),
        "training": _training_results(),
    }


LABELS = {
    "en": {
        "layer": "layer",
        "activation_std": "activation std (log scale)",
        "tanh": "tanh",
        "relu": "ReLU",
        "init_small": "N(0, 0.01²)",
        "init_unit": "N(0, 1)",
        "init_xavier": "Xavier",
        "init_kaiming": "Kaiming",
        "overflow": "float32 overflow",
        "tanh_output": "tanh output",
        "fraction_units": "fraction of units",
        "randn_title": "W = randn(784, 256)",
        "scaled_title": "W = randn(784, 256) / √784",
        "layer_n": "layer {n}",
        "hist_title": "tanh, {init}",
        "normal": "normal",
        "uniform": "uniform",
        "relu_kaiming": "ReLU, Kaiming std",
        "tanh_xavier": "tanh, Xavier std",
        "relu_xavier": "ReLU, Xavier std",
        "epoch": "epoch",
        "train_loss": "training loss",
        "test_acc": "test accuracy",
        "ln10": "ln 10 (chance)",
        "seeds": "{init} (seeds {seeds})",
    },
    "zh": {
        "layer": "层",
        "activation_std": "激活值标准差（对数坐标）",
        "tanh": "tanh",
        "relu": "ReLU",
        "init_small": "N(0, 0.01²)",
        "init_unit": "N(0, 1)",
        "init_xavier": "Xavier",
        "init_kaiming": "Kaiming",
        "overflow": "float32溢出",
        "tanh_output": "tanh输出",
        "fraction_units": "单元比例",
        "randn_title": "W = randn(784, 256)",
        "scaled_title": "W = randn(784, 256) / √784",
        "layer_n": "第{n}层",
        "hist_title": "tanh，{init}初始化",
        "normal": "正态分布",
        "uniform": "均匀分布",
        "relu_kaiming": "ReLU，Kaiming标准差",
        "tanh_xavier": "tanh，Xavier标准差",
        "relu_xavier": "ReLU，Xavier标准差",
        "epoch": "迭代周期",
        "train_loss": "训练损失",
        "test_acc": "测试准确率",
        "ln10": "ln 10（随机猜测）",
        "seeds": "{init}（随机种子{seeds}）",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    inits = ["small", "unit", "xavier", "kaiming"]
    styles = {
        "small": ("C0", ":"),
        "unit": ("C1", "--"),
        "xavier": ("C2", "-."),
        "kaiming": ("C3", "-"),
    }

    # Activation std per layer, tanh and ReLU
    d = res["depth"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    for ax, act in zip(axes, ["tanh", "relu"]):
        for init in inits:
            stds = [
                np.nan if s is None or s <= 0 else s
                for s in d["stds"][act][init]
            ]
            color, ls = styles[init]
            ax.plot(
                range(1, len(stds) + 1),
                stds,
                color=color,
                linestyle=ls,
                label=L[f"init_{init}"],
            )
        ax.set_yscale("log")
        ax.set_title(L[act])
        ax.set_xlabel(L["layer"])
    if d["relu_unit_first_nonfinite_layer"] is not None:
        x = d["relu_unit_first_nonfinite_layer"]
        axes[1].plot(
            [x - 1],
            [d["relu_unit_last_finite_std"]],
            marker="x",
            color="C1",
            linestyle="none",
        )
        axes[1].annotate(
            L["overflow"],
            (x - 1, d["relu_unit_last_finite_std"]),
            textcoords="offset points",
            xytext=(-4, -14),
            ha="right",
        )
    axes[0].set_ylabel(L["activation_std"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    figs["depth_std"] = fig

    # Histograms of tanh activations at a few depths
    edges = np.array(d["hist_edges"])
    fig, axes = plt.subplots(
        3, 1, figsize=(6.4, 6.4), sharex=True, layout="constrained"
    )
    for ax, init in zip(axes, ["unit", "xavier", "kaiming"]):
        for k, (layer, frac) in enumerate(
            zip(d["hist_layers"], d["hist_fraction"][init])
        ):
            ax.stairs(
                frac,
                edges,
                color=f"C{k}",
                linestyle=["-", "--", "-.", ":"][k],
                label=L["layer_n"].format(n=layer),
            )
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(L["hist_title"].format(init=L[f"init_{init}"]))
        ax.set_ylabel(L["fraction_units"])
    axes[-1].set_xlabel(L["tanh_output"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    figs["depth_hist"] = fig

    # One layer: randn vs randn / sqrt(fan_in)
    r = res["randn"]
    edges = np.array(r["hist_edges"])
    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 3.0), sharey=True, layout="constrained"
    )
    for ax, (key, title), color in zip(
        axes,
        [("randn", "randn_title"), ("scaled", "scaled_title")],
        ["C1", "C0"],
    ):
        ax.stairs(
            r[key]["hist_fraction"], edges, color=color, fill=True, alpha=0.6
        )
        ax.set_title(L[title])
        ax.set_xlabel(L["tanh_output"])
    axes[0].set_yscale("log")
    axes[0].set_ylabel(L["fraction_units"])
    figs["randn_saturation"] = fig

    # Shape vs variance
    s = res["shape"]
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for k, key in enumerate(["relu_kaiming", "tanh_xavier", "relu_xavier"]):
        for shape, ls, marker in [
            ("normal", "-", None),
            ("uniform", "--", "o"),
        ]:
            stds = s["stds"][key][shape]
            ax.plot(
                range(1, len(stds) + 1),
                stds,
                color=f"C{k}",
                linestyle=ls,
                marker=marker,
                markevery=7,
                markersize=4,
                markerfacecolor="none",
                label=f"{L[key]}, {L[shape]}",
            )
    ax.set_yscale("log")
    ax.set_xlabel(L["layer"])
    ax.set_ylabel(L["activation_std"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["shape_vs_variance"] = fig

    # Training curves
    t = res["training"]
    seeds = ", ".join(str(seed) for seed in t["seeds"])
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    for init, color in [("xavier", "C0"), ("kaiming", "C1")]:
        label = L["seeds"].format(init=L[f"init_{init}"], seeds=seeds)
        for k, (loss, acc) in enumerate(
            zip(t[init]["loss_curves"], t[init]["acc_curves"])
        ):
            epochs = range(1, len(loss) + 1)
            ls = ["-", "--", ":"][k % 3]
            axes[0].plot(
                epochs,
                loss,
                color=color,
                linestyle=ls,
                label=label if k == 0 else None,
            )
            axes[1].plot(epochs, acc, color=color, linestyle=ls)
    axes[0].axhline(
        t["ln10"], color="C2", linestyle="--", linewidth=1, label=L["ln10"]
    )
    axes[0].set_xlabel(L["epoch"])
    axes[0].set_ylabel(L["train_loss"])
    axes[1].set_xlabel(L["epoch"])
    axes[1].set_ylabel(L["test_acc"])
    axes[1].set_ylim(0, 1)
    fig.legend(loc="outside lower center", ncol=3)
    figs["training"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
