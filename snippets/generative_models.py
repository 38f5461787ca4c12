# %% [markdown] lang="en"
# # Generative models
#
# The notebook of the page [*Generative models*]({{ page_url }}) of *Why N(0, 1)?*. Each section
# below runs one experiment of the page, on a VAE or on DDPM's forward process, and prints what it
# found; the last cell computes every number the page quotes and draws its figures ({{ fig_range }}).
# Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 生成模型
#
# 这是《为什么是N(0, 1)？》中[生成模型]({{ page_url }})一页的笔记本。
# 下面每一节运行该页的一个实验（关于VAE或DDPM的前向过程），并打印实验结果；最后一个代码单元计算该页引用的全部数字，
# 并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## The KL term in closed form
#
# Per latent dimension, the VAE's KL term has a closed form,
# $\operatorname{KL}\big(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, 1)\big) = \tfrac12(\mu^2 + \sigma^2 - 1 - \ln\sigma^2)$ (Kingma & Welling
# 2014, Appendix B). The cell checks it against `kl_divergence` of `torch.distributions` on a
# {{ generative_models.kl.n }} × {{ generative_models.kl.n }} grid of $(\mu, \sigma)$ (largest difference
# {{ generative_models.kl.max_torch_error | fixed(1) }}), and against a Monte Carlo estimate from
# {{ generative_models.kl.samples | fixed(0) }} samples at four points. Sampling is unbiased but noisy: at
# $\mu = 1$, $\sigma = 1$ the KL term is {{ generative_models.kl.points[1].formula | fixed(4) }}, and a single sample of it has a
# standard deviation of {{ generative_models.kl.points[1].one_sample_std | fixed(3) }}. The closed form removes that noise, so
# that only the reconstruction term has to be sampled.

# %% [markdown] lang="zh"
# ## 闭式的KL项
#
# 在每个隐变量维度上，VAE的KL项都有闭式解：
# $\operatorname{KL}\big(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, 1)\big) = \tfrac12(\mu^2 + \sigma^2 - 1 - \ln\sigma^2)$
# （Kingma & Welling 2014，Appendix B）。代码在$(\mu, \sigma)$的
# {{ generative_models.kl.n }} × {{ generative_models.kl.n }}网格上把它与`torch.distributions`的`kl_divergence`
# 核对（最大差值为{{ generative_models.kl.max_torch_error | fixed(1) }}），
# 并在四个点上与{{ generative_models.kl.samples | fixed(0) }}个样本的蒙特卡洛估计核对。采样估计是无偏的，但噪声很大：
# 在$\mu = 1$、$\sigma = 1$处，KL项为{{ generative_models.kl.points[1].formula | fixed(4) }}，而只用单个样本估计时，
# 标准差为{{ generative_models.kl.points[1].one_sample_std | fixed(3) }}。闭式解消除了这部分噪声，于是需要采样的只剩重构项。

# %%
# --8<-- [start:kl]
import torch
from torch.distributions import Normal, kl_divergence


def kl_per_dim(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) for each dimension (Kingma & Welling 2014,
    Appendix B): 0.5 * (mu^2 + sigma^2 - 1 - ln sigma^2)."""
    return 0.5 * (mu**2 + sigma**2 - 1 - torch.log(sigma**2))


def max_error_vs_torch(n: int = 101) -> float:
    """Largest |formula - torch| over a grid of mu in [-3, 3], sigma in
    [0.01, 3] (float64)."""
    mu = torch.linspace(-3, 3, n, dtype=torch.float64)[:, None]
    sigma = torch.logspace(-2, torch.log10(torch.tensor(3.0)), n,
                           dtype=torch.float64)[None, :]
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    torch_kl = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0))
    return (kl_per_dim(mu, sigma) - torch_kl).abs().max().item()


def kl_monte_carlo(
    mu: float, sigma: float, samples: int = 100_000, seed: int = 0
) -> dict:
    """E_q[log q(z) - log p(z)] from samples z ~ q = N(mu, sigma^2), with
    p = N(0, 1): its mean, standard error, and the std of one sample."""
    g = torch.Generator().manual_seed(seed)
    q = Normal(torch.tensor(mu, dtype=torch.float64), sigma)
    p = Normal(torch.tensor(0.0, dtype=torch.float64), 1.0)
    z = mu + sigma * torch.randn(samples, generator=g, dtype=torch.float64)
    d = q.log_prob(z) - p.log_prob(z)
    return {"mean": d.mean().item(), "se": (d.std() / samples**0.5).item(),
            "one_sample_std": d.std().item()}


if __name__ == "__main__":
    print(f"max |formula - torch| on the grid: {max_error_vs_torch():.1e}")
    for mu, sigma in [(0.0, 1.0), (1.0, 1.0), (0.0, 0.3), (2.0, 0.1)]:
        f = kl_per_dim(torch.tensor(mu), torch.tensor(sigma)).item()
        mc = kl_monte_carlo(mu, sigma)
        print(f"mu = {mu:3.1f}, sigma = {sigma:3.1f}: formula {f:.4f}, "
              f"Monte Carlo {mc['mean']:.4f} +- {mc['se']:.4f} "
              f"(one sample: std {mc['one_sample_std']:.3f})")
# --8<-- [end:kl]

# %% [markdown] lang="en"
# ## The reparameterization trick
#
# Two unbiased estimators of $\partial_\mu \operatorname{E}[f(z)]$ for $z \sim \mathcal N(\mu, \sigma^2)$, computed with autograd from
# the same {{ generative_models.reparam.samples | fixed(0) }} draws: pathwise (the reparameterization trick: differentiate
# through $z = \mu + \sigma\varepsilon$) and score function (REINFORCE). The cell prints their means and
# variances per sample for $f(z) = z^2$ at $\mu$ = {{ generative_models.reparam.mu | fixed(0) }} and three values of $\sigma$, and for
# $f(z) = \sin(kz)$ at two frequencies; {{ fig("reparam") }} sweeps more of both. Both are unbiased, but for
# $z^2$ the score function's variance is {{ generative_models.reparam.ratio_at_1 | fixed(1) }} times the pathwise one at
# $\sigma = 1$ and {{ generative_models.reparam.ratio_at_01 | fixed(0) }} times at $\sigma = 0.1$. The ranking is not a law:
# for $\sin(kz)$ at $k$ = {{ generative_models.reparam.sine.k[6] | fixed(0) }} the pathwise variance is
# {{ generative_models.reparam.sine.pathwise[6].var | fixed(2) }} against {{ generative_models.reparam.sine.score[6].var | fixed(2) }}.

# %% [markdown] lang="zh"
# ## 重参数化技巧
#
# 对$z \sim \mathcal N(\mu, \sigma^2)$，$\partial_\mu \operatorname{E}[f(z)]$有两种无偏估计，
# 这里用自动微分在同一组{{ generative_models.reparam.samples | fixed(0) }}次抽样上计算：路径导数（即重参数化技巧：
# 经由$z = \mu + \sigma\varepsilon$求导）和得分函数（REINFORCE）。
# 代码对$f(z) = z^2$在$\mu$ = {{ generative_models.reparam.mu | fixed(0) }}和三个$\sigma$值下、
# 对$f(z) = \sin(kz)$在两个频率下，打印两种估计的均值和单样本方差；{{ fig("reparam") }}对两者都扫描了更多的取值。
# 两种估计都是无偏的，但对$z^2$，得分函数的方差在$\sigma = 1$时是路径导数的
# {{ generative_models.reparam.ratio_at_1 | fixed(1) }}倍，
# 在$\sigma = 0.1$时是{{ generative_models.reparam.ratio_at_01 | fixed(0) }}倍。这个排序并非定律：对$\sin(kz)$，
# 在$k$ = {{ generative_models.reparam.sine.k[6] | fixed(0) }}时路径导数的方差为
# {{ generative_models.reparam.sine.pathwise[6].var | fixed(2) }}，
# 得分函数只有{{ generative_models.reparam.sine.score[6].var | fixed(2) }}。

# %%
# --8<-- [start:reparam]
import math

import torch
from torch.distributions import Normal


def gradient_samples(f, mu: float, sigma: float, samples: int = 200_000,
                     seed: int = 0) -> dict:
    """Per-sample estimates of d/dmu E_{z ~ N(mu, sigma^2)}[f(z)], by autograd."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(samples, generator=g, dtype=torch.float64)
    m = torch.full((samples,), mu, dtype=torch.float64, requires_grad=True)
    # pathwise: z = mu + sigma * eps is a differentiable function of mu
    z = m + sigma * eps
    (pathwise,) = torch.autograd.grad(f(z).sum(), m)
    # score function: f(z) * d/dmu log N(z; mu, sigma^2), z held fixed
    log_q = Normal(m, sigma).log_prob(z.detach())
    (score,) = torch.autograd.grad(log_q.sum(), m)
    score = f(z.detach()) * score
    return {
        name: {"mean": v.mean().item(), "se": (v.std() / samples**0.5).item(),
               "var": v.var().item()}
        for name, v in [("pathwise", pathwise), ("score", score)]
    }


def square(z):
    return z**2  # E[z^2] = mu^2 + sigma^2: exact gradient 2 mu


def sine(k: float):
    # E[sin(k z)] = sin(k mu) exp(-k^2 sigma^2 / 2)
    return lambda z: torch.sin(k * z)


if __name__ == "__main__":
    mu = 1.0
    for sigma in [1.0, 0.3, 0.1]:
        est = gradient_samples(square, mu, sigma)
        print(f"f = z^2, mu = {mu}, sigma = {sigma}: exact gradient {2 * mu}")
        for name, e in est.items():
            print(f"  {name:8s} mean {e['mean']:.3f} +- {e['se']:.3f}, "
                  f"variance per sample {e['var']:9.2f}")
    for k in [0.5, 4.0]:
        est = gradient_samples(sine(k), 0.0, 1.0)
        exact = k * math.exp(-(k**2) / 2)
        print(f"f = sin({k} z), mu = 0, sigma = 1: exact {exact:.4f}, variance "
              f"pathwise {est['pathwise']['var']:.3f}, "
              f"score {est['score']['var']:.3f}")
# --8<-- [end:reparam]

# %% [markdown] lang="en"
# ## A VAE on the digits
#
# A VAE with a {{ generative_models.vae.latent }}-dimensional code, prior $\mathcal N(0, I)$, a Gaussian encoder and one
# Bernoulli per pixel as decoder, trained with Adam for {{ generative_models.vae.epochs }} epochs
# ({{ generative_models.vae.steps }} steps) on all {{ generative_models.vae.n_images }} digits scaled to $[0, 1]$. The cell prints the
# ELBO, {{ generative_models.vae.elbo | fixed(2) }} nats per image (reconstruction {{ generative_models.vae.recon | fixed(2) }}, KL term
# {{ generative_models.vae.kl | fixed(2) }}), the mean and standard deviation of the codes, the share of codes inside radius
# 1 and 2, and one digit decoded from $z \sim \mathcal N(0, I)$ ({{ fig("vae_samples") }}, {{ fig("latent_codes") }}). The
# codes' means and standard deviations are close to the prior's 0 and 1, but the centre is
# under-populated: {{ generative_models.vae.z_inside_1 | pct(1) }} of the codes lie inside radius 1, where the prior has
# {{ generative_models.vae.prior_inside_1 | pct(1) }}, and of the KL term only {{ generative_models.vae.kl_aggregate | fixed(3) }} nats are
# the distance from all codes together to $\mathcal N(0, I)$. The full run also trains
# {{ generative_models.vae_seeds.seeds | length }} seeds for {{ generative_models.vae_seeds.epochs }} epochs on {{ generative_models.vae_seeds.n_train }} digits: on the
# {{ generative_models.vae_seeds.n_test }} held-out ones the bound beats a model without a code by a median of
# {{ generative_models.vae_seeds.test_gain_median | fixed(2) }} nats per image.

# %% [markdown] lang="zh"
# ## 在手写数字上训练VAE
#
# 这里的VAE编码为{{ generative_models.vae.latent }}维，先验为$\mathcal N(0, I)$，编码器为高斯分布，
# 解码器对每个像素用一个伯努利分布；在缩放到$[0, 1]$的全部{{ generative_models.vae.n_images }}张数字图像上用Adam训练
# {{ generative_models.vae.epochs }}个迭代周期（{{ generative_models.vae.steps }}步）。代码打印ELBO，
# 即每张图像{{ generative_models.vae.elbo | fixed(2) }}奈特（重构项{{ generative_models.vae.recon | fixed(2) }}，
# KL项{{ generative_models.vae.kl | fixed(2) }}），编码的均值和标准差，编码落在半径1和2以内的比例，
# 以及从$z \sim \mathcal N(0, I)$解码出的一个数字（{{ fig("vae_samples") }}、{{ fig("latent_codes") }}）。
# 编码的均值和标准差都接近先验的0和1，但中心区域的编码偏少：
# 半径1以内只有{{ generative_models.vae.z_inside_1 | pct(1) }}的编码，
# 而先验在那里有{{ generative_models.vae.prior_inside_1 | pct(1) }}；
# KL项中只有{{ generative_models.vae.kl_aggregate | fixed(3) }}奈特是全部编码构成的总体到$\mathcal N(0, I)$的距离。
# 完整实验还在{{ generative_models.vae_seeds.n_train }}张数字上以{{ generative_models.vae_seeds.seeds | length }}
# 个随机种子各训练{{ generative_models.vae_seeds.epochs }}个迭代周期：
# 在留出的{{ generative_models.vae_seeds.n_test }}张数字上，下界比不带编码的模型高，
# 每张图像高出的奈特数中位数为{{ generative_models.vae_seeds.test_gain_median | fixed(2) }}。

# %%
# --8<-- [start:vae]
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn


def digits01() -> tuple[torch.Tensor, torch.Tensor]:
    """The 1797 digits as 64-pixel rows in [0, 1], and their labels."""
    d = load_digits()
    return torch.tensor(d.data / 16, dtype=torch.float32), torch.tensor(d.target)


class VAE(nn.Module):
    """q(z|x) = N(mu(x), diag sigma(x)^2), p(z) = N(0, I),
    p(x|z) = Bernoulli(sigmoid(decoder(z))) for each pixel."""

    def __init__(self, pixels: int = 64, hidden: int = 128, latent: int = 2):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(),
                                     nn.Linear(hidden, pixels))

    def encode(self, x):
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, (0.5 * log_var).exp()

    def loss_terms(self, x, generator=None):
        """Per image: reconstruction -log p(x|z) with one z, and the KL term."""
        mu, sigma = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator)
        z = mu + sigma * eps  # reparameterization
        recon = F.binary_cross_entropy_with_logits(
            self.decoder(z), x, reduction="none").sum(1)
        kl = 0.5 * (mu**2 + sigma**2 - 1 - torch.log(sigma**2)).sum(1)
        return recon, kl


def train_vae(latent: int = 2, hidden: int = 128, epochs: int = 100,
              batch_size: int = 128, lr: float = 3e-3, seed: int = 0,
              x: torch.Tensor | None = None) -> VAE:
    """Train on the images x (default: all digits)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x = digits01()[0] if x is None else x
    model = VAE(x.shape[1], hidden, latent)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch_size):
            recon, kl = model.loss_terms(x[perm[i : i + batch_size]], g)
            loss = (recon + kl).mean()  # minus the ELBO, per image
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


@torch.no_grad()
def evaluate(model: VAE, draws: int = 10, seed: int = 1,
             x: torch.Tensor | None = None) -> dict:
    """ELBO = -(recon + KL) per image in nats, averaged over the images x
    (default: all digits) and `draws` draws of z per image."""
    g = torch.Generator().manual_seed(seed)
    x = digits01()[0] if x is None else x
    recon = torch.stack([model.loss_terms(x, g)[0] for _ in range(draws)])
    _, kl = model.loss_terms(x, g)
    return {"recon": recon.mean().item(), "kl": kl.mean().item(),
            "elbo": -(recon.mean() + kl.mean()).item()}


@torch.no_grad()
def prior_samples(model: VAE, n: int = 36, seed: int = 2) -> torch.Tensor:
    """Decode z ~ N(0, I): the Bernoulli means (pixel intensities), n x 64."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.decoder[0].in_features, generator=g)
    return torch.sigmoid(model.decoder(z))


@torch.no_grad()
def aggregate_codes(model: VAE, seed: int = 3) -> dict:
    """Posterior means and stds of every digit, and one code z ~ q(z|x)
    each: together, a sample of the aggregate posterior q(z)."""
    g = torch.Generator().manual_seed(seed)
    x, labels = digits01()
    mu, sigma = model.encode(x)
    z = mu + sigma * torch.randn(mu.shape, generator=g)
    return {"mu": mu, "sigma": sigma, "z": z, "labels": labels}


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    model = train_vae()
    print({k: round(v, 2) for k, v in evaluate(model).items()})
    codes = aggregate_codes(model)
    print("aggregate codes z: mean", codes["z"].mean(0).tolist(),
          "std", codes["z"].std(0).tolist())
    r = codes["z"].norm(dim=1)
    print(f"inside radius 1: {(r < 1).float().mean():.3f} (prior 0.393), "
          f"radius 2: {(r < 2).float().mean():.3f} (prior 0.865)")
    print("decoded from z ~ N(0, I), first sample (pixel intensity as ink):")
    for row in prior_samples(model)[0].reshape(8, 8):
        print("".join(" .:-=+*#%@"[int(v * 9.99)] * 2 for v in row))
# --8<-- [end:vae]

# %% [markdown] lang="en"
# ## The DDPM forward process
#
# DDPM's forward process with the linear schedule of Ho et al. 2020, $T$ = {{ generative_models.forward.T }} and $\beta_t$
# rising from {{ generative_models.forward.beta_1 | sci(0) }} to {{ generative_models.forward.beta_T }}, on digits scaled to $[-1, 1]$. The
# cell runs the chain step by step, {{ generative_models.forward.chains }} times from the first digit, and compares each
# pixel's mean and variance at steps {{ generative_models.forward.checkpoints | join(", ") }} with the closed form
# $q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0, (1 - \bar\alpha_t) I\big)$, in units of the Monte Carlo standard
# error; then it jumps to $t = T$ in one step. Over all pixels and steps these errors have a root mean
# square of {{ generative_models.forward.rms_mean_z | fixed(2) }} for the means and {{ generative_models.forward.rms_var_z | fixed(2) }} for the
# variances, the size of pure sampling noise (1): the chain and the closed form agree.
# {{ fig("noising") }} shows two digits noised this way, under the linear and the cosine schedule.

# %% [markdown] lang="zh"
# ## DDPM的前向过程
#
# DDPM的前向过程采用Ho et al. 2020的线性调度：$T$ = {{ generative_models.forward.T }}，
# $\beta_t$从{{ generative_models.forward.beta_1 | sci(0) }}增加到{{ generative_models.forward.beta_T }}；
# 数字图像缩放到$[-1, 1]$。代码从第一张数字图像出发，把马尔可夫链逐步运行{{ generative_models.forward.chains }}遍，
# 在第{{ generative_models.forward.checkpoints | join("、") }}步把每个像素的均值和方差与闭式解
# $q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0, (1 - \bar\alpha_t) I\big)$比较，
# 误差以蒙特卡洛标准误为单位；然后一步跳到$t = T$。在所有像素和时间步上，
# 这些误差的均方根对均值为{{ generative_models.forward.rms_mean_z | fixed(2) }}，
# 对方差为{{ generative_models.forward.rms_var_z | fixed(2) }}，正是纯抽样噪声的大小（1）：逐步运行的链与闭式解一致。
# {{ fig("noising") }}展示了两个数字分别在线性调度和余弦调度下这样加噪的过程。

# %%
# --8<-- [start:forward]
import torch
from sklearn.datasets import load_digits


def linear_schedule(T: int = 1000, beta_1: float = 1e-4,
                    beta_T: float = 0.02) -> tuple[torch.Tensor, torch.Tensor]:
    """betas[t-1] = beta_t and alpha_bar[t-1] = prod_{s<=t} (1 - beta_s)."""
    betas = torch.linspace(beta_1, beta_T, T, dtype=torch.float64)
    return betas, torch.cumprod(1 - betas, dim=0)


def digits_pm1() -> torch.Tensor:
    """The 1797 digits, pixels 0..16 scaled linearly to [-1, 1] as in DDPM."""
    return torch.tensor(load_digits().data / 8 - 1, dtype=torch.float64)


def q_sample(x0, t: int, alpha_bar, generator=None):
    """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, in one step."""
    a = alpha_bar[t - 1]
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return a.sqrt() * x0 + (1 - a).sqrt() * eps


def run_chain(x0, betas, chains: int = 1000, checkpoints=(1, 10, 100, 500, 1000),
              seed: int = 0) -> dict:
    """Run x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps step by step for
    `chains` copies of x0; per-pixel mean and variance at each checkpoint."""
    g = torch.Generator().manual_seed(seed)
    x = x0.expand(chains, -1).clone()
    out = {}
    for t in range(1, max(checkpoints) + 1):
        b = betas[t - 1]
        x = (1 - b).sqrt() * x + b.sqrt() * torch.randn(
            x.shape, generator=g, dtype=x.dtype)
        if t in checkpoints:
            out[t] = {"mean": x.mean(0), "var": x.var(0), "x": x.clone()}
    return out


if __name__ == "__main__":
    torch.set_num_threads(1)  # small tensors: one thread is faster on a busy CPU
    betas, alpha_bar = linear_schedule()
    x0 = digits_pm1()[0]
    chains = 1000
    for t, s in run_chain(x0, betas, chains).items():
        a = alpha_bar[t - 1]
        mean_z = (s["mean"] - a.sqrt() * x0) / ((1 - a) / chains).sqrt()
        var_z = (s["var"] - (1 - a)) / ((1 - a) * (2 / (chains - 1)) ** 0.5)
        print(f"t = {t:4d}: alpha_bar {a:.2e}; chain vs closed form, in "
              f"standard errors: mean RMS {mean_z.pow(2).mean().sqrt():.2f} "
              f"(max {mean_z.abs().max():.2f}), variance RMS "
              f"{var_z.pow(2).mean().sqrt():.2f} (max {var_z.abs().max():.2f})")
    x_T = q_sample(x0, 1000, alpha_bar, torch.Generator().manual_seed(0))
    print("x_1000 in one step, first 4 pixels:", x_T[:4].tolist())
# --8<-- [end:forward]

# %% [markdown] lang="en"
# ## The noise schedule
#
# Everything about $q(x_t \mid x_0)$ depends on the schedule only through $\bar\alpha_t$. The cell prints $\bar\alpha_t$
# and the exact KL divergence from $q(x_t \mid x_0)$ to $\mathcal N(0, I)$, in bits per pixel averaged over all
# digits, at $t$ = 250, 500, 750 and 1000, for the linear schedule and for the cosine schedule of
# Nichol & Dhariwal 2021 ({{ fig("schedule") }}). With the linear schedule the last
# {{ generative_models.schedule.T - generative_models.schedule.linear.t_kl_001 + 1 }} of {{ generative_models.schedule.T }} steps are within 0.01 bits per pixel
# of pure noise, with the cosine schedule only the last
# {{ generative_models.schedule.T - generative_models.schedule.cosine.t_kl_001 + 1 }}. At $t = T$ the linear schedule leaves
# {{ generative_models.schedule.linear.kl_T | sci(1) }} bits per pixel, the same order as the $L_T \approx 10^{-5}$ bits
# per dimension that Ho et al. 2020 report.

# %% [markdown] lang="zh"
# ## 噪声调度
#
# $q(x_t \mid x_0)$对调度的依赖完全通过$\bar\alpha_t$体现。代码对线性调度和Nichol & Dhariwal 2021的余弦调度，
# 打印$t$ = 250、500、750和1000时的$\bar\alpha_t$，
# 以及$q(x_t \mid x_0)$到$\mathcal N(0, I)$的精确KL散度（对所有数字取平均，单位为比特/像素；见{{ fig("schedule") }}）。
# 采用线性调度时，{{ generative_models.schedule.T }}步中的最后
# {{ generative_models.schedule.T - generative_models.schedule.linear.t_kl_001 + 1 }}步与纯噪声的差距都在0.01比特/
# 像素以内；采用余弦调度时只有最后{{ generative_models.schedule.T - generative_models.schedule.cosine.t_kl_001 + 1 }}
# 步。在$t = T$时，线性调度还剩{{ generative_models.schedule.linear.kl_T | sci(1) }}比特/像素，
# 与Ho et al. 2020报告的$L_T \approx 10^{-5}$比特/维处于同一量级。

# %%
# --8<-- [start:schedule]
import math

import torch
from sklearn.datasets import load_digits


def linear_alpha_bar(T: int = 1000, beta_1: float = 1e-4,
                     beta_T: float = 0.02) -> torch.Tensor:
    betas = torch.linspace(beta_1, beta_T, T, dtype=torch.float64)
    return torch.cumprod(1 - betas, dim=0)


def cosine_alpha_bar(T: int = 1000, s: float = 0.008,
                     max_beta: float = 0.999) -> torch.Tensor:
    """alpha_bar_t = f(t) / f(0), f(t) = cos^2((t/T + s) / (1 + s) * pi/2),
    with each beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} clipped at max_beta."""
    t = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
    return torch.cumprod(1 - betas, dim=0)


def kl_to_normal(alpha_bar, x0) -> torch.Tensor:
    """Exact KL(q(x_t | x_0) || N(0, I)) per pixel in bits, averaged over all
    pixels of all x0, for each step t = 1..T. q(x_t | x_0) is
    N(sqrt(a) x0, (1 - a) I) with a = alpha_bar_t."""
    a = alpha_bar
    m2 = (x0**2).mean()  # the KL is linear in x0^2: average it first
    return 0.5 * (a * m2 - a - torch.log1p(-a)) / math.log(2)


if __name__ == "__main__":
    x0 = torch.tensor(load_digits().data / 8 - 1, dtype=torch.float64)
    schedules = [("linear", linear_alpha_bar()), ("cosine", cosine_alpha_bar())]
    for name, ab in schedules:
        kl = kl_to_normal(ab, x0)
        print(f"{name}: t = 250, 500, 750, 1000: alpha_bar "
              + ", ".join(f"{ab[t - 1]:.2e}" for t in (250, 500, 750, 1000))
              + "; KL to N(0, I) in bits per pixel "
              + ", ".join(f"{kl[t - 1]:.2e}" for t in (250, 500, 750, 1000)))
# --8<-- [end:schedule]

# %% [markdown] lang="en"
# ## The last step against N(0, 1)
#
# Sampling starts from $\mathcal N(0, I)$, not from the noised data at $t = T$, where
# $x_T = {{ generative_models.last_step.signal_scale | fixed(4) }}\,x_0 + \sqrt{1 - \bar\alpha_T}\,\varepsilon$ still holds a trace of the image. The
# cell noises every pixel of every digit to $t = T$ and compares the {{ generative_models.last_step.n | fixed(0) }} values with
# $\mathcal N(0, 1)$: mean {{ generative_models.last_step.mean | fixed(4) }}, standard deviation {{ generative_models.last_step.std | fixed(4) }},
# Kolmogorov–Smirnov distance {{ generative_models.last_step.ks | fixed(4) }} against a 5% critical value of
# {{ generative_models.last_step.ks_critical_5pct | fixed(4) }}, and an exact KL divergence of
# {{ generative_models.last_step.kl_bits_per_dim | sci(1) }} bits per pixel. No difference is detectable in the pooled
# values, while the clean pixels, standardized, are {{ generative_models.last_step.ks_clean | fixed(2) }} from
# $\mathcal N(0, 1)$ in the same distance; {{ fig("last_step") }} shows the values on the way there.

# %% [markdown] lang="zh"
# ## 最后一步与N(0, 1)的对比
#
# 采样从$\mathcal N(0, I)$开始，而不是从加噪到$t = T$的数据开始：
# 此时$x_T = {{ generative_models.last_step.signal_scale | fixed(4) }}\,x_0 + \sqrt{1 - \bar\alpha_T}\,\varepsilon$
# 仍留有图像的一丝痕迹。代码把所有数字的所有像素加噪到$t = T$，
# 再把这{{ generative_models.last_step.n | fixed(0) }}个值与$\mathcal N(0, 1)$比较：
# 均值为{{ generative_models.last_step.mean | fixed(4) }}，标准差为{{ generative_models.last_step.std | fixed(4) }}，
# Kolmogorov–Smirnov距离为{{ generative_models.last_step.ks | fixed(4) }}（5%临界值为
# {{ generative_models.last_step.ks_critical_5pct | fixed(4) }}），
# 精确的KL散度为{{ generative_models.last_step.kl_bits_per_dim | sci(1) }}比特/像素。
# 合并起来的值与$\mathcal N(0, 1)$没有可检测的差别；而干净的像素标准化之后，
# 与$\mathcal N(0, 1)$的同一距离为{{ generative_models.last_step.ks_clean | fixed(2) }}。
# {{ fig("last_step") }}展示了这些值在加噪过程中的变化。

# %%
# --8<-- [start:last_step]
import math

import torch
from scipy import stats
from sklearn.datasets import load_digits


def last_step(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02,
              seed: int = 0) -> dict:
    """Every pixel of every digit (scaled to [-1, 1]) noised to t = T in one
    step; the pooled values against N(0, 1)."""
    betas = torch.linspace(beta_1, beta_T, T, dtype=torch.float64)
    a = torch.prod(1 - betas)  # alpha_bar_T
    x0 = torch.tensor(load_digits().data / 8 - 1, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed)
    xT = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(
        x0.shape, generator=g, dtype=x0.dtype)
    v = xT.flatten().numpy()
    ks = stats.kstest(v, "norm")
    # exact KL(q(x_T | x_0) || N(0, I)) per pixel, averaged, in bits
    kl = 0.5 * (a * x0**2 + (1 - a) - 1 - torch.log(1 - a)) / math.log(2)
    z0 = (x0 - x0.mean()) / x0.std()  # the clean pixels, standardized
    return {
        "alpha_bar_T": a.item(), "signal_scale": a.sqrt().item(),
        "n": v.size, "mean": v.mean(), "std": v.std(),
        "skewness": stats.skew(v), "excess_kurtosis": stats.kurtosis(v),
        "ks": ks.statistic, "ks_pvalue": ks.pvalue,
        "ks_critical_5pct": 1.358 / math.sqrt(v.size),
        "kl_bits_per_dim": kl.mean().item(),
        "predicted_mean": (a.sqrt() * x0.mean()).item(),
        "predicted_std": (a * x0.var(unbiased=False) + 1 - a).sqrt().item(),
        "mean_se": 1 / math.sqrt(v.size),
        "ks_clean": stats.kstest(z0.flatten().numpy(), "norm").statistic,
    }


if __name__ == "__main__":
    for key, value in last_step().items():
        print(f"{key:18s} {value:.4g}")
# --8<-- [end:last_step]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (the sweeps of the reparameterization
# figure and the VAE's {{ generative_models.vae_seeds.seeds | length }} seeds on a train/test split on top of the cells above) and returns
# every number the page quotes; `figures()` draws the page's figures from them, {{ fig_range }} in
# the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验（除上面各节的实验外，还有重参数化那张图中的扫描，
# 以及VAE在训练/测试划分上的{{ generative_models.vae_seeds.seeds | length }}个随机种子），返回页面引用的每一个数字；
# `figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats
from sklearn.model_selection import train_test_split
from torch.distributions import Normal, kl_divergence

KL_POINTS = [(0.0, 1.0), (1.0, 1.0), (0.0, 0.3), (2.0, 0.1)]
REPARAM_MU = 1.0
REPARAM_SIGMAS = [0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0]
SINE_KS = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
GRID_SIDE = 6  # 6 x 6 decoded images per panel
SEEDS = [0, 1, 2, 3, 4]  # training seeds of the VAE on the train/test split
SEED_EPOCHS = 40  # fewer than train_vae's 100: the time budget of the page
TEST_SIZE = 300  # held-out digits, stratified by class
SPLIT_SEED = 0
CODE_DRAWS = 5  # draws of one code per training image, for the KS distances
STRIP_DIGITS = [0, 3]  # indices into load_digits
STRIP_TS = [0, 50, 100, 200, 300, 500, 700, 1000]
HIST_TS = [100, 300, 600, 1000]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name not in ("seed", "x")
    }


def _kl_results() -> dict:
    rows = []
    for mu, sigma in KL_POINTS:
        t = torch.tensor
        rows.append({
            "mu": mu, "sigma": sigma,
            "formula": kl_per_dim(t(mu, dtype=torch.float64),
                                  t(sigma, dtype=torch.float64)).item(),
            "torch": kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).item(),
            **kl_monte_carlo(mu, sigma),
        })
    return {**_defaults(max_error_vs_torch, kl_monte_carlo),
            "max_torch_error": max_error_vs_torch(), "points": rows}


def _reparam_results() -> dict:
    sweep = {"sigma": REPARAM_SIGMAS, "pathwise": [], "score": []}
    for sigma in REPARAM_SIGMAS:
        est = gradient_samples(square, REPARAM_MU, sigma)
        for name in ("pathwise", "score"):
            sweep[name].append(est[name])
    sine_sweep = {"k": SINE_KS, "pathwise": [], "score": []}
    for k in SINE_KS:
        est = gradient_samples(sine(k), 0.0, 1.0)
        for name in ("pathwise", "score"):
            sine_sweep[name].append(est[name])
    i1 = REPARAM_SIGMAS.index(1.0)
    i01 = REPARAM_SIGMAS.index(0.1)

    def ratio(i):
        return sweep["score"][i]["var"] / sweep["pathwise"][i]["var"]

    return {
        **_defaults(gradient_samples), "mu": REPARAM_MU,
        "square": sweep, "sine": sine_sweep,
        "at_1": {name: sweep[name][i1] for name in ("pathwise", "score")},
        "at_01": {name: sweep[name][i01] for name in ("pathwise", "score")},
        "ratio_at_1": ratio(i1), "ratio_at_01": ratio(i01),
        "max_bias_z": max(
            abs(e["mean"] - 2 * REPARAM_MU) / e["se"]
            for name in ("pathwise", "score") for e in sweep[name]
        ),
        "max_bias_z_sine": max(
            abs(e["mean"] - k * math.exp(-(k**2) / 2)) / e["se"]
            for name in ("pathwise", "score")
            for k, e in zip(SINE_KS, sine_sweep[name])
        ),
    }


def _aggregate_kl(mu, sigma, draws: int = 5, seed: int = 4) -> dict:
    """Split the average KL term (ELBO surgery, Hoffman & Johnson 2016):
    E_x KL(q(z|x) || p) = I(x; z) + KL(q(z) || p), q(z) the aggregate posterior
    (the mixture of the N posteriors); plus KL(q(z) || p) = KL(q || N(m, C))
    + KL(N(m, C) || p) with N(m, C) the moment-matched Gaussian."""
    g = torch.Generator().manual_seed(seed)
    mu, sigma = mu.double(), sigma.double()
    N, d = mu.shape
    z = (mu + sigma * torch.randn(draws, N, d, generator=g,
                                  dtype=torch.float64)).reshape(-1, d)
    own = torch.arange(N).repeat(draws)
    # log N(z; mu_n, diag sigma_n^2) for every code z and every image n at once:
    # sum_d (z_d - mu_nd)^2 / sigma_nd^2 as one matrix product in z^2 and z
    a = sigma**-2
    coef = torch.cat([a, -2 * mu * a], dim=1).T  # (2d, N)
    const = (mu**2 * a).sum(1) + 2 * torch.log(sigma).sum(1) + d * math.log(2 * math.pi)
    log_q_agg = []
    for chunk in z.split(1000):
        lp = -0.5 * (torch.cat([chunk**2, chunk], dim=1) @ coef + const)  # (chunk, N)
        log_q_agg.append(torch.logsumexp(lp, dim=1) - math.log(N))
    log_q_agg = torch.cat(log_q_agg)
    log_q_own = Normal(mu[own], sigma[own]).log_prob(z).sum(-1)
    log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)
    mi = log_q_own - log_q_agg
    kl_agg = log_q_agg - log_p
    per_image = kl_agg.reshape(draws, N).mean(0)  # z was drawn as (draws, N, d)
    m = z.mean(0)
    C = torch.cov(z.T)
    kl_moment = 0.5 * (torch.trace(C) + m @ m - d - torch.logdet(C))
    return {
        "aggregate_draws": draws, "mutual_information": mi.mean().item(),
        "mutual_information_max": math.log(N),
        "kl_aggregate": kl_agg.mean().item(),
        # standard error from the N per-image averages of the draws (the codes of
        # one image share its posterior, so they are not independent) ...
        "kl_aggregate_se": (per_image.std() / N**0.5).item(),
        # ... and, for comparison, as if all draws * N codes were independent
        "kl_aggregate_se_iid": (kl_agg.std() / len(z) ** 0.5).item(),
        "kl_moment_matched": kl_moment.item(),
        "kl_sum_monte_carlo": (log_q_own - log_p).mean().item(),
        "kl_sum_se": ((log_q_own - log_p).std() / len(z) ** 0.5).item(),
        "aggregate_mean": m.tolist(), "aggregate_cov": C.tolist(),
    }


def _vae_results() -> dict:
    model = train_vae()
    ev = evaluate(model)
    codes = aggregate_codes(model)
    mu, sigma, z, labels = (codes["mu"], codes["sigma"], codes["z"],
                            codes["labels"])
    x, _ = digits01()
    r_z, r_mu = z.norm(dim=1), mu.norm(dim=1)
    q = torch.tensor(np.linspace(0.5 / GRID_SIDE, 1 - 0.5 / GRID_SIDE, GRID_SIDE),
                     dtype=torch.float32)
    grid_z = torch.distributions.Normal(0.0, 1.0).icdf(q)  # prior quantiles
    zz = torch.stack(torch.meshgrid(grid_z, -grid_z, indexing="xy"), -1)
    with torch.no_grad():
        manifold = torch.sigmoid(model.decoder(zz.reshape(-1, 2)))
    edges = np.linspace(-4, 4, 41)
    z_hist = [np.histogram(z[:, i].numpy(), bins=edges, density=True)[0].tolist()
              for i in (0, 1)]
    per_class = [int((labels == c).sum()) for c in range(10)]
    # no latent code: one Bernoulli per pixel with the mean image as p
    p = x.mean(0).clamp(1e-6, 1 - 1e-6)
    independent = F.binary_cross_entropy(p.expand_as(x), x, reduction="none")
    # the smallest possible reconstruction term: p(x|z) = x exactly
    floor = F.binary_cross_entropy(x, x, reduction="none")
    return {
        **_defaults(train_vae, evaluate),
        "n_images": len(x), "pixels": x.shape[1],
        "steps": _defaults(train_vae)["epochs"]
        * math.ceil(len(x) / _defaults(train_vae)["batch_size"]),
        **ev,
        "independent_bernoulli_nll": independent.sum(1).mean().item(),
        "recon_floor": floor.sum(1).mean().item(),
        "mu_mean": mu.mean(0).tolist(), "mu_std": mu.std(0).tolist(),
        "sigma_mean": sigma.mean(0).tolist(),
        "sigma_median": sigma.median().item(),
        "z_mean": z.mean(0).tolist(), "z_std": z.std(0).tolist(),
        "z_inside_1": (r_z < 1).float().mean().item(),
        "z_inside_2": (r_z < 2).float().mean().item(),
        "mu_inside_1": (r_mu < 1).float().mean().item(),
        "mu_inside_2": (r_mu < 2).float().mean().item(),
        "prior_inside_1": 1 - math.exp(-0.5), "prior_inside_2": 1 - math.exp(-2),
        "z_ks": [stats.kstest(z[:, i].numpy(), "norm").statistic for i in (0, 1)],
        "ks_critical_5pct": 1.358 / math.sqrt(len(x)),
        **_aggregate_kl(mu, sigma),
        "mu": mu.tolist(), "labels": labels.tolist(), "per_class": per_class,
        "samples": prior_samples(model, GRID_SIDE**2).tolist(),
        "manifold": manifold.tolist(), "grid_z": grid_z.tolist(),
        "grid_side": GRID_SIDE, "z_hist": z_hist, "z_hist_edges": edges.tolist(),
    }


def train_vae_seeds(x: torch.Tensor, seeds, epochs: int, latent: int = 2,
                    hidden: int = 128, batch_size: int = 128,
                    lr: float = 3e-3) -> list:
    """train_vae(seed=s, x=x, epochs=epochs) for every s in seeds, all at once:
    the seeds' weights are stacked along a first axis and multiplied as batches,
    and each seed keeps its own initialization, mini-batch order and noise, so
    the result equals the separate runs up to rounding (about twice as fast)."""
    models = []
    for s in seeds:
        torch.manual_seed(s)
        models.append(VAE(x.shape[1], hidden, latent))
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    names = [n for n, _ in models[0].named_parameters()]
    # y = h @ W + b per seed: weights (S, in, out), biases (S, 1, out)
    P = {n: torch.stack([dict(mm.named_parameters())[n].detach().T
                         if n.endswith("weight")
                         else dict(mm.named_parameters())[n].detach()[None]
                         for mm in models]).requires_grad_(True) for n in names}
    opt = torch.optim.Adam(P.values(), lr=lr)

    def linear(h, layer):
        return torch.baddbmm(P[layer + ".bias"], h, P[layer + ".weight"])

    for _ in range(epochs):
        perm = torch.stack([torch.randperm(len(x), generator=g) for g in gens])
        for i in range(0, len(x), batch_size):
            xb = x[perm[:, i : i + batch_size]]  # (S, batch, pixels)
            mu, log_var = linear(linear(xb, "encoder.0").relu(),
                                 "encoder.2").chunk(2, dim=-1)
            sigma = (0.5 * log_var).exp()
            eps = torch.stack([torch.randn(mu.shape[1:], generator=g) for g in gens])
            logits = linear(linear(mu + sigma * eps, "decoder.0").relu(), "decoder.2")
            recon = F.binary_cross_entropy_with_logits(
                logits, xb, reduction="none").sum(-1)
            kl = 0.5 * (mu**2 + sigma**2 - 1 - torch.log(sigma**2)).sum(-1)
            loss = (recon + kl).mean(1).sum()  # each seed's own loss, summed
            opt.zero_grad()
            loss.backward()
            opt.step()
    for j, mm in enumerate(models):
        mm.load_state_dict({n: P[n].detach()[j].T.contiguous() if n.endswith("weight")
                            else P[n].detach()[j, 0].clone() for n in names})
    return models


def _vae_seed_results() -> dict:
    """The VAE with several seeds on a train/test split: held-out ELBO against the
    no-code baseline fitted on the training images, and the KS distances of the
    training codes' coordinates to N(0, 1) over seeds and code draws."""
    x, labels = digits01()
    train_idx, test_idx = train_test_split(
        np.arange(len(x)), test_size=TEST_SIZE, stratify=labels.numpy(),
        random_state=SPLIT_SEED)
    x_train, x_test = x[train_idx], x[test_idx]
    models = train_vae_seeds(x_train, SEEDS, SEED_EPOCHS)
    # no latent code: one Bernoulli per pixel, the mean training image as p
    p = x_train.mean(0).clamp(1e-6, 1 - 1e-6)

    def baseline(xs):
        return F.binary_cross_entropy(p.expand_as(xs), xs,
                                      reduction="none").sum(1).mean().item()

    rows, ks = [], []
    n_tr = len(x_train)
    crit = 1.358 / math.sqrt(n_tr)
    for seed, model in zip(SEEDS, models):
        tr, te = evaluate(model, x=x_train), evaluate(model, x=x_test)
        with torch.no_grad():
            mu, sigma = model.encode(x_train)
        g = torch.Generator().manual_seed(100 + seed)
        d = []
        for _ in range(CODE_DRAWS):
            z = mu + sigma * torch.randn(mu.shape, generator=g)
            d.append([stats.kstest(z[:, i].numpy(), "norm").statistic for i in (0, 1)])
        ks.append(d)
        d = np.array(d)
        rows.append({"seed": seed, "train_elbo": tr["elbo"], "test_elbo": te["elbo"],
                     "test_gain": baseline(x_test) + te["elbo"],
                     "ks_median": np.median(d, axis=0).tolist(),
                     "ks_above": int((d > crit).sum())})
    ks = np.array(ks)  # (seeds, draws, 2)
    gain = np.array([r["test_gain"] for r in rows])
    gap = np.array([r["train_elbo"] - r["test_elbo"] for r in rows])
    return {
        "seeds": SEEDS, "epochs": SEED_EPOCHS, "test_size": TEST_SIZE,
        "split_seed": SPLIT_SEED, "code_draws": CODE_DRAWS,
        "n_train": n_tr, "n_test": len(x_test),
        "steps": SEED_EPOCHS * math.ceil(n_tr / _defaults(train_vae)["batch_size"]),
        "test_per_class": [int((labels[test_idx] == c).sum()) for c in range(10)],
        "baseline_train_nll": baseline(x_train), "baseline_test_nll": baseline(x_test),
        "rows": rows,
        "test_gain_median": float(np.median(gain)),
        "test_gain_min": float(gain.min()), "test_gain_max": float(gain.max()),
        "gap_median": float(np.median(gap)),
        "gap_min": float(gap.min()), "gap_max": float(gap.max()),
        "ks": ks.tolist(), "ks_critical_5pct": crit,
        "ks_median": float(np.median(ks)), "ks_min": float(ks.min()),
        "ks_max": float(ks.max()),
        "ks_n": int(ks.size), "ks_above": int((ks > crit).sum()),
        "ks_median_ratio": float(np.median(ks) / crit),
    }


def _forward_results() -> dict:
    betas, alpha_bar = linear_schedule()
    x = digits_pm1()
    x0 = x[0]
    d = _defaults(run_chain)
    chains = d["chains"]
    rows = []
    for t, s in run_chain(x0, betas).items():
        a = alpha_bar[t - 1]
        mean_se = ((1 - a) / chains).sqrt()
        var_se = (1 - a) * (2 / (chains - 1)) ** 0.5
        # the chain's values, standardized with the closed form's mean and std
        r = (s["x"] - a.sqrt() * x0) / (1 - a).sqrt()
        ks = stats.kstest(r.flatten().numpy(), "norm")
        mean_z = (s["mean"] - a.sqrt() * x0) / mean_se
        var_z = (s["var"] - (1 - a)) / var_se
        rows.append({
            "t": t, "alpha_bar": a.item(),
            "max_mean_z": mean_z.abs().max().item(),
            "max_var_z": var_z.abs().max().item(),
            "ms_mean_z": mean_z.pow(2).mean().item(),
            "ms_var_z": var_z.pow(2).mean().item(),
            "ks": ks.statistic, "ks_pvalue": ks.pvalue,
        })
    strips = {}
    for name, ab in [("linear", alpha_bar), ("cosine", cosine_alpha_bar())]:
        g = torch.Generator().manual_seed(6)
        eps = torch.randn(len(STRIP_DIGITS), 64, generator=g, dtype=torch.float64)
        rows_img = []
        for i, idx in enumerate(STRIP_DIGITS):
            row = []
            for t in STRIP_TS:
                a = ab[t - 1] if t > 0 else torch.tensor(1.0, dtype=torch.float64)
                row.append((a.sqrt() * x[idx] + (1 - a).sqrt() * eps[i]).tolist())
            rows_img.append(row)
        strips[name] = rows_img
    return {
        **_defaults(linear_schedule, run_chain),
        "checkpoints": list(d["checkpoints"]),
        "rows": rows,
        "max_mean_z": max(r["max_mean_z"] for r in rows),
        "max_var_z": max(r["max_var_z"] for r in rows),
        "n_values": chains * x0.numel(),
        "rms_mean_z": (sum(r["ms_mean_z"] for r in rows) / len(rows)) ** 0.5,
        "rms_var_z": (sum(r["ms_var_z"] for r in rows) / len(rows)) ** 0.5,
        "min_ks_pvalue": min(r["ks_pvalue"] for r in rows),
        "strip_ts": STRIP_TS, "strip_digits": STRIP_DIGITS, "strips": strips,
        "strip_labels": [int(load_digits().target[i]) for i in STRIP_DIGITS],
    }


def _schedule_results() -> dict:
    lin, cos = linear_alpha_bar(), cosine_alpha_bar()
    T = len(lin)
    x0 = digits_pm1()
    out = {**_defaults(linear_alpha_bar, cosine_alpha_bar),
           "t": list(range(0, T + 1, 10)), "x0_mean_square": (x0**2).mean().item()}
    for name, ab in [("linear", lin), ("cosine", cos)]:
        kl = kl_to_normal(ab, x0)
        out[name] = {
            "alpha_bar": [1.0] + ab[9::10].tolist(),  # t = 0, 10, ..., T
            "kl_bits": [None] + kl[9::10].tolist(),
            "alpha_bar_T": ab[-1].item(),
            "alpha_bar_quarter": [ab[T * q // 4 - 1].item() for q in (1, 2, 3)],
            "kl_quarter": [kl[T * q // 4 - 1].item() for q in (1, 2, 3)],
            "kl_T": kl[-1].item(),
            # first step with alpha_bar below 1/2 (noise power above signal power)
            "t_half": int((ab >= 0.5).sum().item()) + 1,
            # first step with KL below 0.01 bits per pixel
            "t_kl_001": int((kl >= 0.01).sum().item()) + 1,
        }
    out["cosine"]["beta_T"] = (1 - cos[-1] / cos[-2]).item()
    return out


def _last_step_results() -> dict:
    res = {**_defaults(last_step), **last_step()}
    _, alpha_bar = linear_schedule()
    x0 = digits_pm1()
    g = torch.Generator().manual_seed(7)
    edges = np.linspace(-4, 4, 81)
    hist = {}
    for t in HIST_TS:
        a = alpha_bar[t - 1]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(
            x0.shape, generator=g, dtype=x0.dtype)
        counts, _ = np.histogram(xt.flatten().numpy(), bins=edges, density=True)
        hist[str(t)] = counts.tolist()
    res["hist_edges"] = edges.tolist()
    res["hist"] = hist
    res["hist_ts"] = HIST_TS
    res["clean_mean"] = x0.mean().item()
    res["clean_fraction_minus1"] = (x0 == -1).double().mean().item()
    return {k: float(v) if isinstance(v, np.floating) else v
            for k, v in res.items()}


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models: one thread is faster, deterministic
    try:
        return {
            "kl": _kl_results(),
            "reparam": _reparam_results(),
            "vae": _vae_results(),
            "vae_seeds": _vae_seed_results(),
            "forward": _forward_results(),
            "schedule": _schedule_results(),
            "last_step": _last_step_results(),
        }
    finally:
        torch.set_num_threads(threads)


LABELS = {
    "en": {
        "sigma": "posterior std σ",
        "var_per_sample": "variance per sample",
        "pathwise": "pathwise (reparameterized)",
        "score": "score function (REINFORCE)",
        "theory": "theory",
        "square_title": "f(z) = z², μ = 1",
        "sine_title": "f(z) = sin(kz), μ = 0, σ = 1",
        "k": "frequency k",
        "prior_samples": "decoded z ~ N(0, I)",
        "manifold": "decoded prior quantiles",
        "z1": "z₁",
        "z2": "z₂",
        "circle1": "prior 1σ circle ({:.0%} of its mass)",
        "circle2": "prior 2σ circle ({:.0%})",
        "digit": "digit",
        "codes_title": "posterior means μ(x)",
        "hist_title": "codes z ~ q(z|x)",
        "density": "density",
        "normal": "N(0, 1)",
        "linear": "linear (Ho et al. 2020)",
        "cosine": "cosine (Nichol & Dhariwal 2021)",
        "step": "step t",
        "alpha_bar": "ᾱₜ",
        "kl_bits": "KL to N(0, I), bits per pixel",
        "pixel_value": "pixel value xₜ",
        "strip_linear": "linear schedule",
        "strip_cosine": "cosine schedule",
    },
    "zh": {
        "sigma": "后验标准差σ",
        "var_per_sample": "单样本方差",
        "pathwise": "路径导数（重参数化）",
        "score": "得分函数（REINFORCE）",
        "theory": "理论值",
        "square_title": "f(z) = z²，μ = 1",
        "sine_title": "f(z) = sin(kz)，μ = 0，σ = 1",
        "k": "频率k",
        "prior_samples": "解码z ~ N(0, I)",
        "manifold": "解码先验分位点",
        "z1": "z₁",
        "z2": "z₂",
        "circle1": "先验1σ圆（含{:.0%}的概率）",
        "circle2": "先验2σ圆（{:.0%}）",
        "digit": "数字",
        "codes_title": "后验均值μ(x)",
        "hist_title": "编码z ~ q(z|x)",
        "density": "密度",
        "normal": "N(0, 1)",
        "linear": "线性（Ho等，2020）",
        "cosine": "余弦（Nichol & Dhariwal 2021）",
        "step": "步数t",
        "alpha_bar": "ᾱₜ",
        "kl_bits": "到N(0, I)的KL（比特/像素）",
        "pixel_value": "像素值xₜ",
        "strip_linear": "线性调度",
        "strip_cosine": "余弦调度",
    },
}


def _mosaic(images, rows: int, cols: int, side: int = 8, gap: int = 1):
    """Tile images (each side*side values) into one array, NaN between tiles."""
    step = side + gap
    out = np.full((rows * step - gap, cols * step - gap), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * step: r * step + side, c * step: c * step + side] = np.reshape(
            img, (side, side))
    return out


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Variance per sample of the two gradient estimators
    r = res["reparam"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), layout="constrained")
    s = np.array(r["square"]["sigma"])
    mu = r["mu"]
    ss = np.geomspace(s.min(), s.max(), 100)
    for key, color, marker, theory in [
        ("pathwise", "C0", "o", 4 * ss**2),
        ("score", "C1", "s", mu**4 / ss**2 + 14 * mu**2 + 15 * ss**2),
    ]:
        axes[0].plot(s, [e["var"] for e in r["square"][key]], color=color,
                     marker=marker, linestyle="none", label=L[key])
        axes[0].plot(ss, theory, color=color, linestyle="--", linewidth=1)
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel(L["sigma"])
    axes[0].set_ylabel(L["var_per_sample"])
    axes[0].set_title(L["square_title"])
    k = np.array(r["sine"]["k"])
    kk = np.linspace(k.min(), k.max(), 200)
    for key, color, marker, theory in [
        ("pathwise", "C0", "o",
         kk**2 * (0.5 + 0.5 * np.exp(-2 * kk**2)) - kk**2 * np.exp(-kk**2)),
        ("score", "C1", "s",
         0.5 - 0.5 * (1 - 4 * kk**2) * np.exp(-2 * kk**2)
         - kk**2 * np.exp(-kk**2)),
    ]:
        axes[1].plot(k, [e["var"] for e in r["sine"][key]], color=color,
                     marker=marker, linestyle="none")
        axes[1].plot(kk, theory, color=color, linestyle="--", linewidth=1)
    axes[1].set_yscale("log")
    axes[1].set_xlabel(L["k"])
    axes[1].set_title(L["sine_title"])
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="C4", linestyle="--", linewidth=1))
    labels.append(L["theory"])
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["reparam"] = fig

    # Images decoded from the prior
    v = res["vae"]
    n = v["grid_side"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    for ax, key in zip(axes, ["samples", "manifold"]):
        ax.imshow(_mosaic(v[key], n, n), vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.set_title(L["prior_samples" if key == "samples" else "manifold"])
    figs["vae_samples"] = fig

    # Latent codes against the prior
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.9), layout="constrained",
                             width_ratios=[1.25, 1])
    ax = axes[0]
    codes = np.array(v["mu"])
    labels = np.array(v["labels"])
    for d in range(10):
        pts = codes[labels == d]
        color = f"C{[0, 1, 2, 3, 5][d % 5]}"  # C4 is kept for the prior
        ax.scatter(pts[:, 0], pts[:, 1], s=4, color=color,
                   marker="o" if d < 5 else "^", alpha=0.5, linewidths=0)
        cx, cy = np.median(pts, axis=0)
        ax.annotate(str(d), (cx, cy), ha="center", va="center")
    theta = np.linspace(0, 2 * np.pi, 200)
    for radius, style, key in [(1, "--", "1"), (2, ":", "2")]:
        ax.plot(radius * np.cos(theta), radius * np.sin(theta), color="C4",
                linestyle=style, linewidth=1.2,
                label=L["circle" + key].format(v["prior_inside_" + key]))
    ax.set_aspect("equal")
    ax.set_xlim(-3.2, 3.2)
    ax.set_ylim(-3.2, 3.2)
    ax.set_xlabel(L["z1"])
    ax.set_ylabel(L["z2"])
    ax.set_title(L["codes_title"])
    ax = axes[1]
    grid = np.linspace(-4, 4, 200)
    for i, color in [(0, "C0"), (1, "C1")]:
        ax.stairs(v["z_hist"][i], v["z_hist_edges"], color=color,
                  label=L["z1" if i == 0 else "z2"])
    ax.plot(grid, np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi), color="C4",
            linestyle="--", label=L["normal"])
    ax.set_xlabel("z")
    ax.set_ylabel(L["density"])
    ax.set_title(L["hist_title"])
    h0, l0 = axes[0].get_legend_handles_labels()
    h1, l1 = axes[1].get_legend_handles_labels()
    fig.legend(h0 + h1, l0 + l1, loc="outside lower center", ncol=3)
    figs["latent_codes"] = fig

    # Digits noised along the chain
    f_ = res["forward"]
    ts = f_["strip_ts"]
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 3.9), layout="constrained")
    for ax, name in zip(axes, ["linear", "cosine"]):
        rows = f_["strips"][name]
        ax.imshow(_mosaic([img for row in rows for img in row], len(rows),
                          len(ts)), vmin=-1, vmax=1)
        ax.set_xticks([4 + 9 * i for i in range(len(ts))], [str(t) for t in ts])
        ax.set_yticks([])
        ax.grid(False)
        ax.set_title(L["strip_" + name])
    axes[1].set_xlabel(L["step"])
    figs["noising"] = fig

    # alpha_bar and the distance to N(0, I) along the chain
    sch = res["schedule"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    for name, color in [("linear", "C0"), ("cosine", "C1")]:
        axes[0].plot(sch["t"], sch[name]["alpha_bar"], color=color, label=L[name])
        axes[1].plot(sch["t"][1:], sch[name]["kl_bits"][1:], color=color)
    axes[0].set_xlabel(L["step"])
    axes[0].set_ylabel(L["alpha_bar"])
    axes[1].set_yscale("log")
    axes[1].set_xlabel(L["step"])
    axes[1].set_ylabel(L["kl_bits"])
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
               ncol=2)
    figs["schedule"] = fig

    # Pixel distribution at several steps against N(0, 1)
    ls = res["last_step"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    for i, t in enumerate(ls["hist_ts"]):
        ax.stairs(ls["hist"][str(t)], ls["hist_edges"], color=f"C{i}",
                  label=f"t = {t}")
    x = np.linspace(-4, 4, 400)
    ax.plot(x, np.exp(-x**2 / 2) / np.sqrt(2 * np.pi), color="C4",
            linestyle="--", label=L["normal"])
    ax.set_xlabel(L["pixel_value"])
    ax.set_ylabel(L["density"])
    ax.legend()
    figs["last_step"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
