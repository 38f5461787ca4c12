# %% [markdown] lang="en"
# # Input standardization
#
# The notebook of the page [*Input standardization*]({{ page_url }}) of *Why N(0, 1)?*. Each section
# below runs one experiment of the page and prints what it found; the last cell computes every number
# the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 输入标准化
#
# 这是《为什么是N(0, 1)？》中[输入标准化]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Why it helps: conditioning
#
# Linear regression of a synthetic house price on two inputs of very different size, the area
# (50–500 m²) and the number of bedrooms (1–5), for {{ standardization.house.n }} houses. For four
# versions of the same features (raw, centered only, scaled only, standardized) the cell prints the
# condition number κ of the loss's Hessian, the gradient descent steps at η = 1/λmax until the loss gap
# falls below {{ standardization.house.tol | sci(0) }} of its initial value, and the fitted price of the
# first house ({{ fig("loss_contours") }}, {{ fig("convergence") }}). κ falls from
# {{ standardization.house.raw.kappa | fixed(0) }} to {{ standardization.house.standardized.kappa | fixed(2) }},
# and the steps from {{ standardization.house.raw.iterations | fixed(0) }} to
# {{ standardization.house.standardized.iterations }}; centering alone
# ({{ standardization.house.centered.iterations | fixed(0) }} steps) or scaling alone
# ({{ standardization.house.scaled.iterations }}) is not enough. With each version at its best rate
# among ηλmax = {{ standardization.house.lr_factors | join(", ") }}, standardizing still cuts the steps by a
# factor of {{ standardization.house.speedup_best_lr | fixed(0) }}. All four versions reach the same fitted prices:
# standardization changes how fast gradient descent gets there, not where it ends.

# %% [markdown] lang="zh"
# ## 为什么有用：条件数
#
# 用线性回归拟合合成的房价，两个输入的数值大小相差悬殊：面积（50–500平方米）和卧室数（1–5间），
# 共{{ standardization.house.n }}套房屋。对同样两个特征的四个版本（原始、仅中心化、仅缩放、标准化），
# 代码打印损失的黑塞矩阵的条件数κ、取η = 1/λmax时梯度下降把损失差距降到初始值的{{ standardization.house.tol | sci(0) }}
# 以下所需的步数，以及第一套房屋的拟合价格（{{ fig("loss_contours") }}、{{ fig("convergence") }}）。
# κ从{{ standardization.house.raw.kappa | fixed(0) }}降到{{ standardization.house.standardized.kappa | fixed(2) }}，
# 步数从{{ standardization.house.raw.iterations | fixed(0) }}降到{{ standardization.house.standardized.iterations }}；
# 只做中心化（{{ standardization.house.centered.iterations | fixed(0) }}步）
# 或只做缩放（{{ standardization.house.scaled.iterations }}步）都不够。
# 各版本在ηλmax = {{ standardization.house.lr_factors | join("、") }}中取各自最好的学习率时，
# 标准化仍把步数减少为原来的1/{{ standardization.house.speedup_best_lr | fixed(0) }}。四个版本拟合出的房价完全相同：
# 标准化改变的是梯度下降走到终点的速度，而不是终点本身。

# %%
# --8<-- [start:house]
import numpy as np


def house_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic houses: area 50-500 m², 1-5 bedrooms; price in thousands."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(50, 500, n)
    bedrooms = rng.integers(1, 6, n).astype(float)
    price = 3.0 * area + 20.0 * bedrooms + 50.0 + rng.normal(0, 30, n)
    return np.column_stack([area, bedrooms]), price


def preprocess(X: np.ndarray, kind: str) -> np.ndarray:
    """'raw', 'centered' (x - mean), 'scaled' (x / std) or 'standardized'."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    if kind == "centered":
        return X - mean
    if kind == "scaled":
        return X / std
    if kind == "standardized":
        return (X - mean) / std
    return X


def quadratic(F: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loss(theta) = mean((A theta - y)^2) / 2 with A = [F, 1], theta = (w, b).

    Returns its Hessian H = A^T A / n and its minimizer theta*.
    """
    A = np.column_stack([F, np.ones(len(F))])
    H = A.T @ A / len(A)
    return H, np.linalg.solve(H, A.T @ y / len(A))


def gd_path(F: np.ndarray, y: np.ndarray, steps: int, lr_factor: float = 1.0):
    """Gradient descent from theta = 0 with learning rate lr_factor / lambda_max: the start and
    the point after each of the `steps` steps."""
    H, theta_star = quadratic(F, y)
    lr = lr_factor / np.linalg.eigvalsh(H)[-1]
    theta = np.zeros(len(H))
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * H @ (theta - theta_star)  # the gradient of the loss
        path.append(theta)
    return np.array(path)


def iterations_to_tol(
    F: np.ndarray, y: np.ndarray, tol: float = 1e-6, lr_factor: float = 1.0
) -> int:
    """Steps of gradient descent from 0 until loss - min <= tol * (loss0 - min).

    On a quadratic each eigen-direction i of H is independent: its error is
    multiplied by (1 - lr * lam_i) at every step. So the loss gap after t steps
    is known in closed form and t is found by bisection, without running
    millions of steps (for small t this equals counting the loop above).
    """
    H, theta_star = quadratic(F, y)
    lam, V = np.linalg.eigh(H)
    lr = lr_factor / lam[-1]
    z = V.T @ (0 - theta_star)  # initial error in the eigenbasis

    def gap(t: int) -> float:
        return 0.5 * np.sum(lam * z**2 * (1 - lr * lam) ** (2 * t))

    target = tol * gap(0)
    lo, hi = 0, 1
    while gap(hi) > target:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # invariant: gap(lo) > target >= gap(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if gap(mid) > target else (lo, mid)
    return hi


if __name__ == "__main__":
    X, price = house_data()
    print(f"area std {X[:, 0].std():.1f} m², bedrooms std {X[:, 1].std():.2f}")
    for kind in ["raw", "centered", "scaled", "standardized"]:
        F = preprocess(X, kind)
        H, theta_star = quadratic(F, price)
        lam = np.linalg.eigvalsh(H)
        A = np.column_stack([F, np.ones(len(F))])
        print(
            f"{kind:12s} condition number {lam[-1] / lam[0]:12,.1f}"
            f"   steps to 1e-6: {iterations_to_tol(F, price):9,d}"
            f"   fitted price of house 0: {A[0] @ theta_star:.2f}"
        )
        # each version at its own best learning rate: a sweep of lr * lambda_max
        steps = {f: iterations_to_tol(F, price, lr_factor=f) for f in [0.5, 1, 1.5, 1.9]}
        best = min(steps, key=steps.get)
        print(f"{'':12s} best lr = {best} / lambda_max: {steps[best]:,d} steps")
# --8<-- [end:house]

# %% [markdown] lang="en"
# ## Real data: a small network on wine
#
# The {{ standardization.wine.feature_std | length }} features of scikit-learn's wine data have standard
# deviations from {{ standardization.wine.std_min | fixed(2) }} to {{ standardization.wine.std_max | fixed(0) }}
# (proline), and standardizing brings the condition number of XᵀX/n from
# {{ standardization.wine.kappa_raw | sci(1) }} to {{ standardization.wine.kappa_standardized | fixed(1) }}. The cell
# trains a tanh network with {{ standardization.wine.hidden }} hidden units for {{ standardization.wine.steps }}
# steps of full-batch gradient descent on raw and on standardized inputs, at every learning rate of
# {{ standardization.wine.lrs | join(", ") }} with seeds {{ standardization.wine.seeds | join(", ") }}, and prints
# the share of saturated tanh units at initialization, the median final training loss and the range of
# test accuracy ({{ fig("wine") }}). With raw inputs {{ standardization.wine.raw.saturated_min | pct(1) }} to
# {{ standardization.wine.raw.saturated_max | pct(1) }} of the units start saturated, and no raw run, at any
# rate, gets beyond {{ standardization.wine.raw.max_test_acc_any_lr | pct(1) }} test accuracy; standardized
# inputs at their best rate, {{ standardization.wine.standardized.best_lr }}, have a lowest test accuracy
# over the seeds of {{ standardization.wine.standardized.best.test_acc_min | pct(1) }}. The last lines show that
# the raw network's frozen hidden layer at initialization still carries information (a logistic
# regression on it reaches {{ standardization.wine.raw.readout_at_init_min | pct(1) }} to
# {{ standardization.wine.raw.readout_at_init_max | pct(1) }}), and fold the standardization into the first
# layer of a trained network: the same network on raw inputs keeps its test accuracy. Standardization
# helped gradient descent, not what the network can represent.

# %% [markdown] lang="zh"
# ## 真实数据：葡萄酒上的小网络
#
# scikit-learn自带的葡萄酒数据集有{{ standardization.wine.feature_std | length }}个特征，
# 标准差从{{ standardization.wine.std_min | fixed(2) }}到{{ standardization.wine.std_max | fixed(0) }}（脯氨酸）不等；
# 标准化把XᵀX/n的条件数从{{ standardization.wine.kappa_raw | sci(1) }}降到
# {{ standardization.wine.kappa_standardized | fixed(1) }}。
# 代码用全批量梯度下降训练一个有{{ standardization.wine.hidden }}个隐藏单元的tanh网络{{ standardization.wine.steps }}
# 步，分别使用原始输入和标准化输入，学习率取{{ standardization.wine.lrs | join("、") }}中的每一个，
# 随机种子为{{ standardization.wine.seeds | join("、") }}，并打印初始化时饱和的tanh单元所占比例、
# 最终训练损失的中位数和测试准确率的范围（{{ fig("wine") }}）。使用原始输入时，
# {{ standardization.wine.raw.saturated_min | pct(1) }}到{{ standardization.wine.raw.saturated_max | pct(1) }}
# 的单元一开始就饱和，无论学习率取多少，原始输入的训练没有一次超过
# {{ standardization.wine.raw.max_test_acc_any_lr | pct(1) }}的测试准确率；
# 标准化输入在最佳学习率{{ standardization.wine.standardized.best_lr }}下，
# 各随机种子中最低的测试准确率为{{ standardization.wine.standardized.best.test_acc_min | pct(1) }}。最后几行说明，
# 原始输入网络在初始化时冻结的隐藏层仍带有信息（在它上面拟合的逻辑回归，
# 测试准确率达到{{ standardization.wine.raw.readout_at_init_min | pct(1) }}到
# {{ standardization.wine.raw.readout_at_init_max | pct(1) }}）；它们还把标准化并入一个训练好的网络的第一层：
# 得到的网络直接作用于原始输入，测试准确率不变。标准化帮助的是梯度下降，而不是网络的表达能力。

# %%
# --8<-- [start:wine]
import functools

import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def load_wine_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """178 wines, 13 features, 3 classes; stratified 75/25 split."""
    X, y = load_wine(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def condition_number(X: np.ndarray) -> float:
    """Condition number of X^T X / n (the Hessian of least squares on X)."""
    lam = np.linalg.eigvalsh(X.T @ X / len(X))
    return float(lam[-1] / lam[0])


def init_tanh_mlp(d: int, hidden: int, k: int, seed: int):
    """Like PyTorch's nn.Linear: weights and biases U(-a, a), a = 1 / sqrt(fan_in)."""
    rng = np.random.default_rng(seed)
    a1, a2 = 1 / np.sqrt(d), 1 / np.sqrt(hidden)
    W1, b1 = rng.uniform(-a1, a1, (d, hidden)), rng.uniform(-a1, a1, hidden)
    W2, b2 = rng.uniform(-a2, a2, (hidden, k)), rng.uniform(-a2, a2, k)
    return W1, b1, W2, b2


def train_tanh_mlp(
    X_tr: np.ndarray,
    y_tr: np.ndarray,
    X_te: np.ndarray,
    y_te: np.ndarray,
    seeds=(0,),
    lr: float = 0.1,
    hidden: int = 32,
    steps: int = 300,
    eval_every: int = 10,
) -> list[dict]:
    """d -> hidden (tanh) -> classes, full-batch gradient descent, cross-entropy.

    One network per seed, all trained side by side: every parameter has a
    leading axis with one entry per seed. Written in NumPy, backward pass by
    hand, to stay fast on a small CPU.
    """
    n, d = X_tr.shape
    k = int(y_tr.max()) + 1
    inits = [init_tanh_mlp(d, hidden, k, seed) for seed in seeds]
    W1, b1, W2, b2 = (np.stack(p) for p in zip(*inits))  # (seeds, ...)
    Y = np.eye(k)[y_tr]
    saturated = np.mean(np.abs(np.tanh(X_tr @ W1 + b1[:, None])) > 0.99, axis=(1, 2))
    accs = []
    for step in range(steps + 1):
        if step % eval_every == 0:
            logits = np.tanh(X_te @ W1 + b1[:, None]) @ W2 + b2[:, None]
            accs.append(np.mean(logits.argmax(-1) == y_te, axis=1))
        if step == steps:
            break
        h = np.tanh(X_tr @ W1 + b1[:, None])  # (seeds, n, hidden)
        z = h @ W2 + b2[:, None]
        p = np.exp(z - z.max(-1, keepdims=True))  # softmax
        p /= p.sum(-1, keepdims=True)
        dz = (p - Y) / n  # backpropagation, by hand
        dh = dz @ W2.transpose(0, 2, 1) * (1 - h**2)
        W2, b2 = W2 - lr * h.transpose(0, 2, 1) @ dz, b2 - lr * dz.sum(1)
        W1, b1 = W1 - lr * X_tr.T @ dh, b1 - lr * dh.sum(1)
    z = np.tanh(X_tr @ W1 + b1[:, None]) @ W2 + b2[:, None]  # final training loss
    z = z - z.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    loss = -log_p[:, np.arange(n), y_tr].mean(1)
    accs = np.array(accs).T
    return [
        {
            "lr": lr,
            "seed": seed,
            "saturated_at_init": float(saturated[i]),
            "final_train_loss": float(loss[i]),
            "test_acc": float(accs[i, -1]),
            "test_acc_curve": accs[i].tolist(),
            "params": (W1[i], b1[i], W2[i], b2[i]),
        }
        for i, seed in enumerate(seeds)
    ]


def fold_into_first_layer(params, mean: np.ndarray, std: np.ndarray):
    """The same network on raw inputs: (x - mean) / std @ W1 = x @ (W1/std) + c."""
    W1, b1, W2, b2 = params
    W1_raw = W1 / std[:, None]
    return W1_raw, b1 - mean @ W1_raw, W2, b2


def readout_accuracy(X_tr, y_tr, X_te, y_te, W1, b1) -> float:
    """Test accuracy of a (nearly unregularized) logistic regression on the
    frozen hidden layer tanh(x @ W1 + b1): what that layer tells about the class."""
    clf = LogisticRegression(C=1e4, max_iter=5000)
    clf.fit(np.tanh(X_tr @ W1 + b1), y_tr)
    return float(clf.score(np.tanh(X_te @ W1 + b1), y_te))


@functools.cache  # computed once: the page's numbers reuse these runs
def wine_sweep(seeds=(0, 1, 2, 3, 4), lrs=(1e-4, 1e-3, 1e-2, 1e-1, 1.0)) -> dict:
    """Raw and standardized inputs, every learning rate, five seeds each."""
    X_tr, X_te, y_tr, y_te = load_wine_split()
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)  # training split only
    inputs = {
        "raw": (X_tr, X_te),
        "standardized": ((X_tr - mean) / std, (X_te - mean) / std),
    }
    return {
        (name, lr): train_tanh_mlp(A, y_tr, B, y_te, seeds=seeds, lr=lr)
        for name, (A, B) in inputs.items()
        for lr in lrs
    }


if __name__ == "__main__":
    X_tr, X_te, y_tr, y_te = load_wine_split()
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)  # training split only
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    print(f"feature std from {std.min():.3f} to {std.max():.1f}")
    print(
        f"condition number of X^T X / n: raw {condition_number(X_tr):.2e}, "
        f"standardized {condition_number(Z_tr):.1f}"
    )
    for (name, lr), runs in wine_sweep().items():
        loss = [r["final_train_loss"] for r in runs]
        acc = [r["test_acc"] for r in runs]
        sat = [r["saturated_at_init"] for r in runs]
        print(
            f"{name:12s} lr {lr:<6g}: saturated at init {min(sat):5.1%}-{max(sat):5.1%},"
            f" median final training loss {np.median(loss):7.4f},"
            f" test accuracy {min(acc):5.1%}-{max(acc):5.1%}"
        )
    # is the raw network's hidden layer at initialization uninformative? read it out
    for seed in range(5):
        W1, b1, _, _ = init_tanh_mlp(13, 32, 3, seed)
        acc = readout_accuracy(X_tr, y_tr, X_te, y_te, W1, b1)
        print(f"seed {seed}: readout of the frozen raw hidden layer {acc:.1%}")
    params = wine_sweep()[("standardized", 0.1)][0]["params"]
    W1, b1, W2, b2 = fold_into_first_layer(params, mean, std)
    folded = np.tanh(X_te @ W1 + b1) @ W2 + b2
    acc = np.mean(folded.argmax(1) == y_te)
    print(f"standardized net folded into raw-input weights: test acc {acc:.1%}")
# --8<-- [end:wine]

# %% [markdown] lang="en"
# ## Correlated features
#
# Standardization rescales each feature on its own and leaves the correlations alone. The breast cancer
# data shows what that leaves: its features include the radius, perimeter and area of the same cell
# nuclei, and the most correlated pair has correlation {{ standardization.decorrelate.max_correlation | fixed(4) }}.
# The cell prints the condition number of XᵀX/n on the training split: {{ standardization.decorrelate.kappa_raw | sci(1) }}
# raw, still {{ standardization.decorrelate.kappa_standardized | sci(1) }} standardized, and
# {{ standardization.decorrelate.kappa_whitened | fixed(2) }} after PCA whitening ({{ fig("spectrum") }}). On the test
# split the training split's whitening helps only in part: {{ standardization.decorrelate.kappa_standardized_test | sci(1) }}
# standardized, {{ standardization.decorrelate.kappa_whitened_test | fixed(0) }} whitened, against about
# {{ standardization.decorrelate.kappa_white_sample | fixed(1) }} for perfectly white samples of the same size.

# %% [markdown] lang="zh"
# ## 相关的特征
#
# 标准化对每个特征单独缩放，特征之间的相关性则原封不动。乳腺癌数据集说明了这会留下什么：它的特征包括同一批细胞核的半径、
# 周长和面积，相关性最强的一对特征相关系数为{{ standardization.decorrelate.max_correlation | fixed(4) }}。
# 代码打印训练集上XᵀX/n的条件数：原始特征为{{ standardization.decorrelate.kappa_raw | sci(1) }}，
# 标准化之后仍有{{ standardization.decorrelate.kappa_standardized | sci(1) }}，
# PCA白化之后为{{ standardization.decorrelate.kappa_whitened | fixed(2) }}（{{ fig("spectrum") }}）。在测试集上，
# 训练集求得的白化变换只起了部分作用：标准化特征为{{ standardization.decorrelate.kappa_standardized_test | sci(1) }}，
# 白化后为{{ standardization.decorrelate.kappa_whitened_test | fixed(0) }}，
# 而同样大小的理想白化样本约为{{ standardization.decorrelate.kappa_white_sample | fixed(1) }}。

# %%
# --8<-- [start:decorrelate]
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split


def condition_number(X: np.ndarray) -> float:
    """Condition number of X^T X / n (the Hessian of least squares on X)."""
    lam = np.linalg.eigvalsh(X.T @ X / len(X))
    return float(lam[-1] / lam[0])


def pca_whitener(Z_tr: np.ndarray):
    """Rotate onto the principal axes of the training data, divide by their std."""
    lam, V = np.linalg.eigh(Z_tr.T @ Z_tr / len(Z_tr))
    return lambda Z: Z @ V / np.sqrt(lam)


if __name__ == "__main__":
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    whiten = pca_whitener(Z_tr)
    corr = np.corrcoef(X_tr, rowvar=False)
    np.fill_diagonal(corr, 0)  # a feature's correlation with itself does not count
    print(f"largest correlation between two features: {np.abs(corr).max():.4f}")
    versions = [("raw", X_tr), ("standardized", Z_tr), ("whitened", whiten(Z_tr))]
    for name, M in versions:
        print(f"{name:12s} condition number {condition_number(M):.3g}")
    print(f"test split: standardized {condition_number(Z_te):.3g},"
          f" whitened {condition_number(whiten(Z_te)):.3g}")
    # reference: perfectly white data, sampled as often as the test split
    rng = np.random.default_rng(0)
    k = [condition_number(rng.standard_normal(Z_te.shape)) for _ in range(20)]
    print(f"white N(0, I) samples of the same size: median {np.median(k):.3g}")
# --8<-- [end:decorrelate]

# %% [markdown] lang="en"
# ## Statistics from the training split only
#
# The wine data standardized with the training split's mean and std, and with those of all the data,
# test split included; then a logistic regression fitted on the training split. For
# {{ standardization.leakage.splits }} stratified splits the cell prints the test accuracy and the test
# log-loss both ways. On the first split the all-data statistics multiply the gap between the test mean
# and the mean used for scaling by exactly n_tr/n = {{ standardization.leakage.train_fraction | fixed(3) }}
# (measured {{ standardization.leakage.test_shift_ratio | fixed(3) }}): the test data is made to look more like
# the training data than it is. The score hardly moves: the accuracy is the same on
# {{ standardization.leakage.n_splits_same_acc }} of the {{ standardization.leakage.splits }} splits, and the log-loss
# changes by at most {{ standardization.leakage.max_abs_log_loss_diff | fixed(4) }}. That is why such a leak goes
# unnoticed; it grows with anything else fitted on the data, so fit the scaler on the training split only.

# %% [markdown] lang="zh"
# ## 统计量只能取自训练集
#
# 对葡萄酒数据分别用训练集的均值和标准差、以及全部数据（含测试集）的均值和标准差做标准化，再在训练集上拟合一个逻辑回归。
# 代码对{{ standardization.leakage.splits }}次分层划分打印两种做法下的测试准确率和测试集对数损失。在第一次划分上，
# 用全部数据的统计量时，测试集均值与用于缩放的均值之差恰好缩小为原来的
# n_tr/n = {{ standardization.leakage.train_fraction | fixed(3) }}（实测为
# {{ standardization.leakage.test_shift_ratio | fixed(3) }}）：测试数据因此显得比实际情况更像训练数据。得分几乎不变：
# {{ standardization.leakage.splits }}次划分中有{{ standardization.leakage.n_splits_same_acc }}次准确率完全相同，
# 对数损失最多变化{{ standardization.leakage.max_abs_log_loss_diff | fixed(4) }}。这正是这种泄露不易被察觉的原因；
# 在数据上拟合的其他东西越多，泄露就越大，所以缩放器只应在训练集上拟合。

# %%
# --8<-- [start:leakage]
import functools

import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split


@functools.cache  # computed once: the page's numbers reuse it
def leakage(seed: int = 0) -> dict:
    """Standardize wine with train-only statistics and with all-data statistics."""
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    X_all = np.vstack([X_tr, X_te])
    out = {}
    for name, source in [("train_only", X_tr), ("all_data", X_all)]:
        mean, std = source.mean(axis=0), source.std(axis=0)
        Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
        clf = LogisticRegression(max_iter=1000).fit(Z_tr, y_tr)
        out[name] = {
            "mean": mean,
            "std": std,
            "test_mean_abs": float(np.abs(Z_te.mean(axis=0)).mean()),
            "test_acc": float(clf.score(Z_te, y_te)),
            "test_log_loss": float(log_loss(y_te, clf.predict_proba(Z_te))),
        }
    a, b = out["train_only"], out["all_data"]
    # shift of the test mean from the mean used, raw units: all-data / train-only
    out["test_shift_ratio"] = float(
        np.abs(X_te.mean(0) - b["mean"]).sum()
        / np.abs(X_te.mean(0) - a["mean"]).sum()
    )
    out["max_mean_change_in_std"] = float(
        np.max(np.abs(b["mean"] - a["mean"]) / a["std"])
    )
    out["max_std_change"] = float(np.max(np.abs(b["std"] / a["std"] - 1)))
    out["train_fraction"] = len(X_tr) / len(X)
    return out


if __name__ == "__main__":
    # one split at 100 % test accuracy cannot show a difference: ten splits, and
    # the test log-loss, which has no ceiling
    for seed in range(10):
        r = leakage(seed)
        a, b = r["train_only"], r["all_data"]
        print(
            f"split {seed}: test accuracy {a['test_acc']:.1%} / {b['test_acc']:.1%},"
            f" test log-loss {a['test_log_loss']:.4f} / {b['test_log_loss']:.4f}"
            f" (train-only / all-data statistics)"
        )
        if seed == 0:
            print(
                f"  mean |test-split mean| after scaling {a['test_mean_abs']:.3f}"
                f" / {b['test_mean_abs']:.3f}; test-mean shift ratio"
                f" {r['test_shift_ratio']:.3f} (n_train / n"
                f" = {r['train_fraction']:.3f});"
                f" means move by up to {r['max_mean_change_in_std']:.3f} std,"
                f" stds by up to {r['max_std_change']:.1%}"
            )
# --8<-- [end:leakage]

# %% [markdown] lang="en"
# ## Near-constant features
#
# The 8×8 digits standardized with `StandardScaler`: the cell prints the three pixels with the largest
# standardized test values. Pixel {{ standardization.near_constant.worst_pixel }} is nonzero in only
# {{ standardization.near_constant.worst_pixel_nonzero_train }} of the {{ standardization.near_constant.n_train }}
# training images, so its training std is {{ standardization.near_constant.worst_pixel_std | fixed(3) }}, and a test
# value of {{ standardization.near_constant.worst_pixel_test_value | fixed(0) }} becomes
# {{ standardization.near_constant.worst_pixel_z | fixed(1) }}, while the median over pixels of the largest
# standardized test value is {{ standardization.near_constant.median_max_abs_test | fixed(1) }}
# ({{ fig("near_constant") }}). `StandardScaler` guards only against an exactly zero variance
# (`scale_` = 1). In a logistic regression that one pixel moves a logit of that test image by
# {{ standardization.near_constant.linear.standard.worst_pixel_logit | fixed(2) }}, against
# {{ standardization.near_constant.linear.floored.worst_pixel_logit | fixed(2) }} with every σ floored at
# {{ standardization.near_constant.floor | fixed(0) }}. The test accuracy hardly notices
# ({{ standardization.near_constant.linear.standard.test_acc | pct(1) }} against
# {{ standardization.near_constant.linear.floored.test_acc | pct(1) }}): the damage is done to individual inputs,
# and an average score hides it.

# %% [markdown] lang="zh"
# ## 几乎不变的特征
#
# 用`StandardScaler`对8×8手写数字做标准化：代码打印标准化后测试值最大的三个像素。
# 第{{ standardization.near_constant.worst_pixel }}号像素在{{ standardization.near_constant.n_train }}张训练图像中只有
# {{ standardization.near_constant.worst_pixel_nonzero_train }}张不为零，
# 因此它在训练集上的标准差为{{ standardization.near_constant.worst_pixel_std | fixed(3) }}；
# 测试图像中的值{{ standardization.near_constant.worst_pixel_test_value | fixed(0) }}标准化之后变成
# {{ standardization.near_constant.worst_pixel_z | fixed(1) }}，而对所有像素取标准化后测试值的最大绝对值，
# 其中位数只有{{ standardization.near_constant.median_max_abs_test | fixed(1) }}（{{ fig("near_constant") }}）。
# `StandardScaler`只防范方差恰好为零的情况（`scale_` = 1）。在逻辑回归中，
# 单是这个像素就让那张测试图像的一个logit变化
# {{ standardization.near_constant.linear.standard.worst_pixel_logit | fixed(2) }}，
# 而把每个σ的下限设为{{ standardization.near_constant.floor | fixed(0) }}时只变化
# {{ standardization.near_constant.linear.floored.worst_pixel_logit | fixed(2) }}。
# 测试准确率几乎不受影响（{{ standardization.near_constant.linear.standard.test_acc | pct(1) }}对
# {{ standardization.near_constant.linear.floored.test_acc | pct(1) }}）：损害落在个别输入上，平均得分把它掩盖了。

# %%
# --8<-- [start:near_constant]
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

if __name__ == "__main__":
    X, y = load_digits(return_X_y=True)  # 64 pixels with values 0..16
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_tr)
    Z_tr, Z_te = scaler.transform(X_tr), scaler.transform(X_te)
    worst = np.argsort(np.abs(Z_te).max(axis=0))[::-1][:3]
    for j in worst:
        i = np.abs(Z_te[:, j]).argmax()
        print(
            f"pixel {j:2d}: training std {X_tr[:, j].std():.3f}, "
            f"nonzero in {np.count_nonzero(X_tr[:, j])} of {len(X_tr)}"
            " training images;"
            f" test value {X_te[i, j]:.0f} -> standardized {Z_te[i, j]:.1f}"
        )
    typical = np.median(np.abs(Z_te).max(axis=0))
    print(f"median over pixels of max |standardized test value|: {typical:.1f}")
    constant = np.flatnonzero(X_tr.std(axis=0) == 0)
    print(f"pixels constant in training {constant.tolist()}: scale_ set to "
          f"{scaler.scale_[constant].tolist()}, so they pass through unscaled")
    # what it does to a linear model: logistic regression, with and without a floor
    j = worst[0]
    i = np.abs(Z_te[:, j]).argmax()
    for name, floor in [("StandardScaler", 0.0), ("std floored at 1", 1.0)]:
        scale = np.maximum(scaler.scale_, floor)
        clf = LogisticRegression(max_iter=2000)
        clf.fit((X_tr - scaler.mean_) / scale, y_tr)
        Z = (X_te - scaler.mean_) / scale
        logit = np.abs(clf.coef_[:, j] * Z[i, j]).max()
        print(
            f"{name:16s}: test accuracy {clf.score(Z, y_te):.1%}; pixel {j} alone"
            f" moves a logit of test image {i} by {logit:.2f}"
        )
# --8<-- [end:near_constant]

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
import math

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

KINDS = ["raw", "centered", "scaled", "standardized"]
PATH_STEPS = 60  # gradient descent steps drawn on the contour plots
FLOOR = 1.0  # floor under the std in the near-constant control
LEAKAGE_SPLITS = 10  # stratified splits, random_state 0..9
LR_FACTORS = [0.5, 1.0, 1.5, 1.9]  # learning rates swept, in units of 1 / lambda_max
WINE_COLLAPSE_LR = 0.1


def _defaults(*functions) -> dict:
    """Default arguments of the experiments: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


WINE_SEEDS = list(_defaults(wine_sweep)["seeds"])
WINE_LRS = list(_defaults(wine_sweep)["lrs"])  # swept for each input


def _house_results() -> dict:
    X, price = house_data()
    settings = _defaults(house_data, iterations_to_tol)
    out = {
        **settings,
        "path_steps": PATH_STEPS,
        "lr_factors": LR_FACTORS,
        "area_std": float(X[:, 0].std()),
        "bedrooms_std": float(X[:, 1].std()),
        "correlation": float(np.corrcoef(X, rowvar=False)[0, 1]),
    }
    Zs = preprocess(X, "standardized")
    out["bedrooms_distinct_standardized"] = len(np.unique(Zs[:, 1]))
    out["area_within_one_std"] = float(np.mean(np.abs(Zs[:, 0]) < 1))
    out["normal_within_one_std"] = math.erf(1 / math.sqrt(2))
    predictions = []
    for kind in KINDS:
        F = preprocess(X, kind)
        H, theta_star = quadratic(F, price)
        lam = np.linalg.eigvalsh(H)
        A = np.column_stack([F, np.ones(len(F))])
        predictions.append(A @ theta_star)
        t = np.unique(np.logspace(0, 7, 120).astype(int))
        V = np.linalg.eigh(H)[1]
        z = V.T @ (0 - theta_star)
        r = 1 - lam / lam[-1]
        gaps = (0.5 * (lam * z**2) @ (r[:, None] ** (2 * t[None, :]))) / (
            0.5 * np.sum(lam * z**2)
        )
        grad0 = H @ (0 - theta_star)
        out[kind] = {
            "kappa": float(lam[-1] / lam[0]),
            "eigenvalues": lam.tolist(),
            "hessian": H.tolist(),
            "theta_star": theta_star.tolist(),
            "iterations": iterations_to_tol(F, price),
            "path": gd_path(F, price, PATH_STEPS).tolist(),
            "gap_t": t.tolist(),
            "gap_rel": gaps.tolist(),
            "first_grad_ratio": float(abs(grad0[0] / grad0[1])),
        }
        # each version at its own best learning rate (a sweep of lr * lambda_max)
        steps = [iterations_to_tol(F, price, lr_factor=f) for f in LR_FACTORS]
        out[kind]["iterations_by_lr"] = steps
        out[kind]["best_lr_factor"] = LR_FACTORS[int(np.argmin(steps))]
        out[kind]["best_iterations"] = min(steps)
    P = np.array(predictions)
    out["max_prediction_difference"] = float(np.abs(P - P[-1]).max())
    out["speedup_raw_over_standardized"] = (
        out["raw"]["iterations"] / out["standardized"]["iterations"]
    )
    out["speedup_best_lr"] = (
        out["raw"]["best_iterations"] / out["standardized"]["best_iterations"]
    )
    return out


def _wine_results() -> dict:
    X_tr, X_te, y_tr, y_te = load_wine_split()
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    settings = _defaults(train_tanh_mlp)
    out = {
        **{k: v for k, v in settings.items() if k not in ("lr", "seeds")},
        "seeds": WINE_SEEDS,
        "lrs": WINE_LRS,
        "collapse_lr": WINE_COLLAPSE_LR,
        "n_train": len(X_tr),
        "n_test": len(X_te),
        "feature_std": std.tolist(),
        "std_min": float(std.min()),
        "std_max": float(std.max()),
        "std_ratio": float(std.max() / std.min()),
        "kappa_raw": condition_number(X_tr),
        "kappa_standardized": condition_number(Z_tr),
        "majority_test_share": float(np.bincount(y_te).max() / len(y_te)),
    }
    prior = np.bincount(y_tr) / len(y_tr)
    out["prior_entropy"] = float(-(prior * np.log(prior)).sum())
    keys = ["saturated_at_init", "final_train_loss", "test_acc", "test_acc_curve"]
    all_runs = wine_sweep()
    for name, (A, B) in [("raw", (X_tr, X_te)), ("standardized", (Z_tr, Z_te))]:
        runs = [r for lr in WINE_LRS for r in all_runs[(name, lr)]]
        sweep = []
        for lr in WINE_LRS:
            rs = [r for r in runs if r["lr"] == lr]
            acc = [r["test_acc"] for r in rs]
            loss = [r["final_train_loss"] for r in rs]
            sweep.append(
                {
                    "lr": lr,
                    "median_train_loss": float(np.median(loss)),
                    "max_train_loss": max(loss),
                    "min_train_loss": min(loss),
                    "test_acc_min": min(acc),
                    "test_acc_median": float(np.median(acc)),
                    "test_acc_max": max(acc),
                }
            )
        # each input's own rate: lowest median training loss (never test accuracy)
        best = min(sweep, key=lambda row: row["median_train_loss"])
        best_runs = [r for r in runs if r["lr"] == best["lr"]]
        sat = [r["saturated_at_init"] for r in best_runs]  # the same for every lr
        out[name] = {
            "sweep": sweep,
            "best_lr": best["lr"],
            "best": {key: [r[key] for r in best_runs] for key in keys}
            | {k: best[k] for k in ["test_acc_min", "test_acc_median", "test_acc_max"]},
            "saturated_min": min(sat),
            "saturated_max": max(sat),
            "max_test_acc_any_lr": max(row["test_acc_max"] for row in sweep),
            "min_train_loss_any_lr": min(row["min_train_loss"] for row in sweep),
        }
        if name == "raw":
            # a rate that suits standardized inputs: what it does to the hidden layer
            rs = [r for r in runs if r["lr"] == WINE_COLLAPSE_LR]
            spread, saturated = [], []
            for r in rs:
                W1, b1, _, _ = r["params"]
                h = np.tanh(X_tr @ W1 + b1)
                spread.append(float(np.ptp(h, axis=0).max()))
                saturated.append(float(np.mean(np.abs(h) > 0.99)))
            out["raw"]["collapse"] = {
                "final_train_loss": [r["final_train_loss"] for r in rs],
                "max_loss_minus_entropy": max(
                    abs(r["final_train_loss"] - out["prior_entropy"]) for r in rs
                ),
                "test_acc": [r["test_acc"] for r in rs],
                "hidden_spread_max": max(spread),
                "saturated_after_min": min(saturated),
                "readout_after": [
                    readout_accuracy(X_tr, y_tr, X_te, y_te, *r["params"][:2])
                    for r in rs
                ],
            }
            inits = [init_tanh_mlp(13, out["hidden"], 3, s) for s in WINE_SEEDS]
            readout = [
                readout_accuracy(X_tr, y_tr, X_te, y_te, W1, b1)
                for W1, b1, _, _ in inits
            ]
            # rounding sensitivity: the same runs on inputs rounded to float32
            rounded = X_tr.astype(np.float32).astype(float)
            again = train_tanh_mlp(rounded, y_tr, X_te, y_te, WINE_SEEDS, best["lr"])
            change = [
                abs(a["test_acc"] - b["test_acc"]) for a, b in zip(best_runs, again)
            ]
            out["raw"]["rounded_inputs"] = {
                "test_acc": [r["test_acc"] for r in again],
                "max_abs_change": max(change),
                "n_changed": sum(c > 0 for c in change),
            }
            out["raw"]["readout_at_init"] = readout
            out["raw"]["readout_at_init_min"] = min(readout)
            out["raw"]["readout_at_init_max"] = max(readout)
        if name == "standardized":
            params = best_runs[0]["params"]
            W1, b1, W2, b2 = fold_into_first_layer(params, mean, std)
            folded = np.tanh(X_te @ W1 + b1) @ W2 + b2
            W1, b1, W2, b2 = params
            direct = np.tanh(Z_te @ W1 + b1) @ W2 + b2
            diff = np.abs(folded - direct).max()
            out["folded_max_logit_difference"] = float(diff)
            out["folded_test_acc"] = float(np.mean(folded.argmax(1) == y_te))
    return out


def _decorrelate_results() -> dict:
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    whiten = pca_whitener(Z_tr)
    corr = np.corrcoef(X_tr, rowvar=False)
    np.fill_diagonal(corr, 0)
    i, j = np.unravel_index(np.abs(corr).argmax(), corr.shape)
    names = load_breast_cancer().feature_names
    # perfectly white data sampled as often as the test split: finite-sample kappa
    rng = np.random.default_rng(0)
    white_sample = [
        condition_number(rng.standard_normal(Z_te.shape)) for _ in range(20)
    ]
    spectra = {
        name: np.linalg.eigvalsh(M.T @ M / len(M))[::-1].tolist()
        for name, M in [
            ("raw", X_tr),
            ("standardized", Z_tr),
            ("whitened", whiten(Z_tr)),
        ]
    }
    return {
        "n_features": X.shape[1],
        "n_train": len(X_tr),
        "kappa_raw": condition_number(X_tr),
        "kappa_standardized": condition_number(Z_tr),
        "kappa_whitened": condition_number(whiten(Z_tr)),
        "kappa_whitened_test": condition_number(whiten(Z_te)),
        "kappa_standardized_test": condition_number(Z_te),
        "n_test": len(X_te),
        "kappa_white_sample": float(np.median(white_sample)),
        "max_correlation": float(abs(corr[i, j])),
        "max_correlation_pair": [str(names[i]), str(names[j])],
        "smallest_eigenvalue_standardized": spectra["standardized"][-1],
        "whitening_gain": float(1 / math.sqrt(spectra["standardized"][-1])),
        "spectra": spectra,
    }


def _leakage_results() -> dict:
    splits = [leakage(seed) for seed in range(LEAKAGE_SPLITS)]
    r = splits[0]
    acc_diff = [s["all_data"]["test_acc"] - s["train_only"]["test_acc"] for s in splits]
    loss_diff = [
        s["all_data"]["test_log_loss"] - s["train_only"]["test_log_loss"]
        for s in splits
    ]
    acc = [s["train_only"]["test_acc"] for s in splits]
    return (
        {
            name: {
                k: r[name][k] for k in ["test_mean_abs", "test_acc", "test_log_loss"]
            }
            for name in ["train_only", "all_data"]
        }
        | {
            k: r[k]
            for k in [
                "test_shift_ratio",
                "max_mean_change_in_std",
                "max_std_change",
                "train_fraction",
            ]
        }
        | {
            "splits": LEAKAGE_SPLITS,
            "acc_diff": acc_diff,
            "max_abs_acc_diff": max(abs(d) for d in acc_diff),
            "n_splits_same_acc": sum(d == 0 for d in acc_diff),
            "test_acc_min": min(acc),
            "test_acc_max": max(acc),
            "log_loss_diff": loss_diff,
            "max_abs_log_loss_diff": max(abs(d) for d in loss_diff),
            "mean_log_loss_diff": float(np.mean(loss_diff)),
            "mean_log_loss": float(
                np.mean([s["train_only"]["test_log_loss"] for s in splits])
            ),
        }
    )


def _near_constant_results() -> dict:
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_tr)
    Z_tr, Z_te = scaler.transform(X_tr), scaler.transform(X_te)
    std = X_tr.std(axis=0)
    max_test = np.abs(Z_te).max(axis=0)
    j = int(max_test.argmax())
    i = int(np.abs(Z_te[:, j]).argmax())
    constant = np.flatnonzero(std == 0)
    # pixels on in exactly one training image: that image's standardized value
    single = [k for k in range(64) if np.count_nonzero(X_tr[:, k]) == 1]
    # a logistic regression with StandardScaler's scale and with the scale floored
    linear = {}
    for name, floor in [("standard", 0.0), ("floored", FLOOR)]:
        scale = np.maximum(scaler.scale_, floor)
        clf = LogisticRegression(max_iter=2000).fit((X_tr - scaler.mean_) / scale, y_tr)
        Z = (X_te - scaler.mean_) / scale
        contribution = clf.coef_[:, j] * Z[i, j]
        linear[name] = {
            "test_acc": float(clf.score(Z, y_te)),
            "worst_pixel_logit": float(np.abs(contribution).max()),
            "worst_pixel_coef": float(np.abs(clf.coef_[:, j]).max()),
            "worst_pixel_z": float(Z[i, j]),
        }
    return {
        "n_train": len(X_tr),
        "train_std": std.tolist(),
        "max_abs_test": max_test.tolist(),
        "max_abs_train": np.abs(Z_tr).max(axis=0).tolist(),
        "worst_pixel": j,
        "worst_pixel_std": float(std[j]),
        "worst_pixel_nonzero_train": int(np.count_nonzero(X_tr[:, j])),
        "worst_pixel_test_value": float(X_te[i, j]),
        "worst_pixel_z": float(Z_te[i, j]),
        "median_max_abs_test": float(np.median(max_test)),
        "constant_pixels": constant.tolist(),
        "constant_scale": scaler.scale_[constant].tolist(),
        "constant_pixels_on_in_test": int(np.count_nonzero(X_te[:, constant])),
        "constant_max_abs_test": float(np.abs(Z_te[:, constant]).max()),
        "single_pixels": single,
        "single_pixel_train_z": [float(np.abs(Z_tr[:, k]).max()) for k in single],
        "floor": FLOOR,
        "linear": linear,
    }


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "house": _house_results(),
        "wine": _wine_results(),
        "decorrelate": _decorrelate_results(),
        "leakage": _leakage_results(),
        "near_constant": _near_constant_results(),
    }


LABELS = {
    "en": {
        "explorer_title": "Explore: plain gradient descent on linear regression with two centered features ({n} samples, correlation {rho}), the second one scaled",
        "explorer_ratio": "Scale of feature 2 / feature 1",
        "explorer_standardize": "Standardize the features",
        "explorer_path_title": "Loss contours and the first {steps} steps at η = 1/λmax",
        "explorer_w1": "weight of feature 1",
        "explorer_w2": "weight of feature 2 (as fed to the model)",
        "explorer_contours": "loss gap at {levels} of its start",
        "explorer_path_gap": "loss gap left at the drawn path's end, share of its start",
        "explorer_path": "gradient descent from the origin",
        "explorer_minimum": "minimum",
        "explorer_steps": "steps until the loss gap is below {tol} of its start, at the best η",
        "explorer_lr": "best ηλmax",
        "explorer_steps_at_1": "steps at η = 1/λmax",
        "explorer_kappa": "condition number κ",
        "raw": "raw",
        "centered": "centered only",
        "scaled": "scaled only",
        "standardized": "standardized",
        "w_area": "weight of area",
        "w_bedrooms": "weight of bedrooms",
        "kappa": "{name}, κ = {k}",
        "steps": "gradient descent step",
        "rel_gap": "(loss − min) / (loss₀ − min)",
        "feature": "wine feature",
        "feature_std": "std (log scale)",
        "test_acc": "test accuracy",
        "gd_step": "gradient descent step",
        "index": "eigenvalue index",
        "eigenvalue": "eigenvalue of XᵀX / n",
        "whitened": "PCA-whitened",
        "train_std": "training std of the pixel",
        "max_z": "max |standardized test value|",
        "bound": "16 / std (largest pixel value / std)",
        "seeds": "{name}, lr {lr} (seeds {seeds})",
    },
    "zh": {
        "explorer_title": "动手试试：用普通梯度下降拟合两个已中心化特征的线性回归（{n}个样本，相关系数{rho}），第二个特征乘以一个倍数",
        "explorer_ratio": "特征2与特征1的尺度之比",
        "explorer_standardize": "对特征做标准化",
        "explorer_path_title": "损失等高线与η = 1/λmax时梯度下降的前{steps}步",
        "explorer_w1": "特征1的权重",
        "explorer_w2": "特征2的权重（按输入模型时的尺度）",
        "explorer_contours": "损失差距为初始值的{levels}倍处的等高线",
        "explorer_path_gap": "所画路径终点处剩下的损失差距占初始值的比例",
        "explorer_path": "从原点出发的梯度下降",
        "explorer_minimum": "最小值点",
        "explorer_steps": "取最佳η时，损失差距降到初始值的{tol}以下所需步数",
        "explorer_lr": "最佳ηλmax",
        "explorer_steps_at_1": "η = 1/λmax时所需步数",
        "explorer_kappa": "条件数κ",
        "raw": "原始",
        "centered": "仅中心化",
        "scaled": "仅缩放",
        "standardized": "标准化",
        "w_area": "面积的权重",
        "w_bedrooms": "卧室数的权重",
        "kappa": "{name}，κ = {k}",
        "steps": "梯度下降步数",
        "rel_gap": "(损失 − 最小值) / (初始损失 − 最小值)",
        "feature": "葡萄酒特征",
        "feature_std": "标准差（对数坐标）",
        "test_acc": "测试准确率",
        "gd_step": "梯度下降步数",
        "index": "特征值序号",
        "eigenvalue": "XᵀX / n的特征值",
        "whitened": "PCA白化",
        "train_std": "像素在训练集上的标准差",
        "max_z": "标准化后测试值的最大绝对值",
        "bound": "16 / std（像素最大值 / 标准差）",
        "seeds": "{name}，学习率{lr}（随机种子{seeds}）",
    },
}


def _kappa_text(k: float) -> str:
    return f"{k:,.0f}" if k >= 10 else f"{k:.2f}"


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    h = res["house"]

    # Loss contours in (w_area, w_bedrooms), bias at its optimum; the descent path
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 6.4), layout="constrained")
    for ax, kind in zip(axes.flat, KINDS):
        d = h[kind]
        H, star = np.array(d["hessian"]), np.array(d["theta_star"])
        path = np.array(d["path"])
        cx, cy = star[0] / 2, star[1] / 2
        half = 0.7 * max(abs(star[0]), abs(star[1]))
        u = np.linspace(cx - half, cx + half, 241)
        v = np.linspace(cy - half, cy + half, 241)
        U, Vv = np.meshgrid(u, v)
        dU, dV = U - star[0], Vv - star[1]
        gap = 0.5 * (H[0, 0] * dU**2 + 2 * H[0, 1] * dU * dV + H[1, 1] * dV**2)
        gap0 = 0.5 * (star[:2] @ H[:2, :2] @ star[:2])
        levels = gap0 * np.logspace(-4, 1, 11)
        ax.contour(U, Vv, gap, levels=levels, colors="C0", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], color="C1", marker="o", markersize=2.5)
        ax.plot([star[0]], [star[1]], marker="*", color="C2", markersize=11)
        ax.set_xlim(u[0], u[-1])
        ax.set_ylim(v[0], v[-1])
        ax.set_aspect("equal")
        ax.set_title(L["kappa"].format(name=L[kind], k=_kappa_text(d["kappa"])))
        ax.tick_params(labelsize=9)
    for ax in axes[1]:
        ax.set_xlabel(L["w_area"])
    for ax in axes[:, 0]:
        ax.set_ylabel(L["w_bedrooms"])
    figs["loss_contours"] = fig

    # Convergence of gradient descent
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for k, (kind, ls) in enumerate(zip(KINDS, ["-", "--", "-.", ":"])):
        t = np.array(h[kind]["gap_t"])
        g = np.array(h[kind]["gap_rel"])
        keep = g > 1e-12
        ax.plot(t[keep], g[keep], color=f"C{k}", linestyle=ls, label=L[kind])
    ax.axhline(h["tol"], color="C4", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(L["steps"])
    ax.set_ylabel(L["rel_gap"])
    ax.legend(loc="lower left")
    figs["convergence"] = fig

    # Wine: feature scales and training
    w = res["wine"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    std = np.array(w["feature_std"])
    axes[0].bar(range(1, len(std) + 1), std, color="C0")
    axes[0].set_yscale("log")
    axes[0].set_xlabel(L["feature"])
    axes[0].set_ylabel(L["feature_std"])
    seeds = ", ".join(str(s) for s in w["seeds"])
    for name, color in [("raw", "C1"), ("standardized", "C0")]:
        for k, curve in enumerate(w[name]["best"]["test_acc_curve"]):
            steps = np.arange(len(curve)) * w["eval_every"]
            lr = f"{w[name]['best_lr']:g}"
            label = L["seeds"].format(name=L[name], lr=lr, seeds=seeds)
            axes[1].plot(
                steps,
                curve,
                color=color,
                linestyle=["-", "--", ":", "-."][k % 4],
                label=label if k == 0 else None,
            )
    axes[1].set_ylim(0, 1.02)
    axes[1].set_xlabel(L["gd_step"])
    axes[1].set_ylabel(L["test_acc"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["wine"] = fig

    # Breast cancer eigenvalue spectra
    dcr = res["decorrelate"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for k, (name, marker) in enumerate(
        [("raw", "o"), ("standardized", "s"), ("whitened", "^")]
    ):
        lam = dcr["spectra"][name]
        ax.plot(
            range(1, len(lam) + 1),
            lam,
            color=f"C{k}",
            marker=marker,
            markersize=4,
            label=L[name],
        )
    ax.set_yscale("log")
    ax.set_xlabel(L["index"])
    ax.set_ylabel(L["eigenvalue"])
    ax.legend()
    figs["spectrum"] = fig

    # Digits: training std vs largest standardized test value, per pixel
    nc = res["near_constant"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    std = np.array(nc["train_std"])
    mx = np.array(nc["max_abs_test"])
    ok = std > 0  # pixels constant in training have no std to divide by
    ax.plot(std[ok], mx[ok], "o", color="C0", markersize=4)
    grid = np.logspace(np.log10(std[ok].min()), np.log10(std[ok].max()), 50)
    ax.plot(grid, 16 / grid, color="C1", linestyle="--", label=L["bound"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(L["train_std"])
    ax.set_ylabel(L["max_z"])
    ax.legend(loc="upper right")
    figs["near_constant"] = fig
    return figs


# The page's explorer (an interactive figure; the site's script draws it from this data).
EXPLORER_RATIOS = [1, 2, 5, 10, 20, 50, 100]
EXPLORER_LEVELS = [1.0, 0.3, 0.1, 0.03, 0.01]  # contours, as fractions of the initial loss gap


def two_features(ratio: float, n: int = 200, correlation: float = 0.5, seed: int = 0):
    """Two correlated N(0, 1) features, the second multiplied by `ratio`, and the target
    y = z1 + z2 / 2 + noise. The same draws at every ratio: only the scale changes."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    z[:, 1] = correlation * z[:, 0] + math.sqrt(1 - correlation**2) * z[:, 1]
    y = z[:, 0] + 0.5 * z[:, 1] + 0.3 * rng.standard_normal(n)
    return z * np.array([1.0, ratio]), y


def conditioning_run(F: np.ndarray, y: np.ndarray, path_steps: int = 60) -> dict:
    """Plain gradient descent from 0 on the page's loss (with bias): the steps to the page's
    tolerance at eta = 1/lambda_max and at the best eta * lambda_max of LR_FACTORS, the condition
    number, the path of the two weights at eta = 1/lambda_max (as in the page's figure), and
    contours of the loss over them (the bias at its best value)."""
    steps = {f: iterations_to_tol(F, y, lr_factor=f) for f in LR_FACTORS}
    best = min(LR_FACTORS, key=lambda f: steps[f])
    H, theta_star = quadratic(F, y)
    lam = np.linalg.eigvalsh(H)
    full_path = gd_path(F, y, path_steps)
    path = full_path[:, :2]
    gap = lambda theta: 0.5 * (theta - theta_star) @ H @ (theta - theta_star)  # noqa: E731
    # loss gap over (w1, w2) with the bias at its best: (w - w*)^T C (w - w*) / 2, C = Cov(F)
    C = np.cov(F.T, bias=True)
    gap0 = 0.5 * theta_star[:2] @ C @ theta_star[:2]
    c_lam, c_vec = np.linalg.eigh(C)
    t = np.linspace(0, 2 * np.pi, 73)
    contours = []
    for level in EXPLORER_LEVELS:
        radii = np.sqrt(2 * level * gap0 / c_lam)
        ring = theta_star[:2, None] + c_vec @ (radii[:, None] * np.vstack([np.cos(t), np.sin(t)]))
        contours.append(ring.T.tolist())
    return {"steps": steps[best], "best_lr_factor": best, "steps_at_1": steps[1.0], "kappa": float(lam[-1] / lam[0]),
            "path": path.tolist(), "contours": contours, "w_star": theta_star[:2].tolist(),
            "path_gap": float(gap(full_path[-1]) / gap(full_path[0]))}


def explorer_data() -> dict:
    """Every value of the page's explorer: raw and standardized features at each ratio."""
    runs = {}
    for ratio in EXPLORER_RATIOS:
        X, y = two_features(ratio)
        for kind in ["raw", "standardized"]:
            runs[f"{ratio}|{kind}"] = conditioning_run(preprocess(X, kind), y)
    return {"conditioning": {"ratios": EXPLORER_RATIOS, "levels": EXPLORER_LEVELS,
                             "lr_factors": LR_FACTORS,
                             **_defaults(two_features, conditioning_run, iterations_to_tol),
                             "runs": runs}}


def explorers(data: dict, lang: str) -> dict:
    """What the explorer shows, with its text in `lang` (sitebuild/explorers.py)."""
    L = LABELS[lang]
    c = data["conditioning"]
    states = []
    for ratio in c["ratios"]:
        for kind in ["raw", "standardized"]:
            run = c["runs"][f"{ratio}|{kind}"]
            states.append({
                "controls": {"ratio": str(ratio), "standardize": kind},
                "series": {"contours": run["contours"], "path": run["path"], "start": run["path"][:1],
                           "minimum": [run["w_star"]]},
                "values": {"steps": run["steps"], "kappa": run["kappa"], "lr": run["best_lr_factor"],
                           "steps_at_1": run["steps_at_1"], "path_gap": run["path_gap"]},
            })
    return {"conditioning": {
        "title": L["explorer_title"].format(n=c["n"], rho=c["correlation"]),
        "controls": [
            {"name": "ratio", "label": L["explorer_ratio"], "kind": "range",
             "options": [{"value": str(r), "text": f"{r}"} for r in c["ratios"]], "value": "10"},
            {"name": "standardize", "label": L["explorer_standardize"], "kind": "checkbox",
             "options": [{"value": "raw", "text": L["raw"]}, {"value": "standardized", "text": L["standardized"]}]},
        ],
        "charts": [
            {"title": L["explorer_path_title"].format(steps=c["path_steps"]), "square": True, "domain": "state",
             "x": {"label": L["explorer_w1"]}, "y": {"label": L["explorer_w2"]},
             "series": [
                 {"key": "contours", "label": L["explorer_contours"].format(levels=", ".join(f"{v:g}" for v in c["levels"])),
                  "color": "C7", "kind": "line"},
                 {"key": "path", "label": L["explorer_path"], "color": "C1", "kind": "line"},
                 {"key": "path", "label": "", "color": "C1", "kind": "points"},
                 {"key": "minimum", "label": L["explorer_minimum"], "color": "C4", "kind": "points"},
             ]},
        ],
        "readouts": [
            {"key": "steps", "label": L["explorer_steps"].format(
                tol="10" + str(round(math.log10(c["tol"]))).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))),
             "format": ["fixed", 0]},
            {"key": "lr", "label": L["explorer_lr"], "format": ["fixed", 1]},
            {"key": "steps_at_1", "label": L["explorer_steps_at_1"], "format": ["fixed", 0]},
            {"key": "path_gap", "label": L["explorer_path_gap"], "format": ["share", 1]},
            {"key": "kappa", "label": L["explorer_kappa"], "format": ["fixed", 1]},
        ],
        "states": states,
    }}


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
