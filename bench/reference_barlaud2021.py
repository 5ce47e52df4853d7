"""The authors' Table 1 protocol, re-created for timing only (no part of sparseae).

What one configuration of the authors' script does (CyprienGille/Supervised-Autoencoder,
``script_autoencoder.py`` with ``functions_torch.RunAutoEncoder``, ``runBestNet`` and the
projections; protocol in shared/notes/supervised_ae_reference.md), reproduced step for step so
that ``bench_barlaud2021.py`` can compare our sweep with it on the same machine in the same run:
- seeds 4, 5, 6 x 4-fold ``KFold``; ``DataLoader`` at batch 8 (shuffled) for training and
  batch 1 for the test fold; netBio (H=96, ReLU); Adam, lr 5e-4; CE + 1e-3 SmoothL1, summed;
- phase 1, 30 epochs: per step four ``.item()`` calls, the last epoch's codes concatenated batch
  by batch; after every epoch a test pass one sample at a time and ``torch.save`` of the best net;
  at the last epoch every parameter but the middle layer's weight projected (l1 by sort, l1,1 by
  a Python loop over the columns), as ``DO_PROJ_DECODER=True`` does;
- phase 2, 30 epochs from the re-seeded initial net with the entries under 1e-3 zeroed, their
  gradients zeroed by index at every step;
- the best net reloaded and run over both folds with per-sample ``.item()`` calls; silhouettes,
  ARI, AMI, precision/recall.
Left out, so the time is a lower bound on the script's: topGenes (switched off in our earlier
run of the script too), the closing t-SNE and PCA figures, and printing.

    python bench/reference_barlaud2021.py --data-dir DIR l11:1000 l1:200 ...
prints one line per configuration: ``<constraint> <eta> <seconds> <mean test silhouette>``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn import metrics
from sklearn.model_selection import KFold
from sklearn.preprocessing import scale
from torch import nn
from tqdm import tqdm

SEEDS, FOLDS, EPOCHS, BATCH, HIDDEN, LR, LAMBDA = (4, 5, 6), 4, 30, 8, 96, 5e-4, 1e-3
QUIET = open(os.devnull, "w")  # tqdm still runs, as in the script, but prints nowhere


def project_l1(w: torch.Tensor, eta: float) -> torch.Tensor:
    """Sort-based l1-ball projection of w taken as one vector, as the authors compute it."""
    flat = w.reshape(-1)
    u = torch.sort(flat.abs(), descending=True).values
    steps = (torch.cumsum(u, 0) - eta) / torch.arange(1, flat.numel() + 1, dtype=flat.dtype)
    tau = torch.max(torch.cat((steps, torch.zeros(1))))
    return (torch.sign(flat) * torch.clamp(flat.abs() - tau, min=0)).reshape(w.shape)


def project_l11(w: torch.Tensor, eta: float) -> torch.Tensor:
    """Bilevel l1,1: column l1 norms projected, then each column, in a Python loop (as theirs)."""
    if w.dim() == 1:
        return project_l1(w, eta)
    out = torch.empty(w.shape)
    radii = project_l1(torch.tensor([float(w[:, j].abs().sum()) for j in range(w.shape[1])]), eta)
    for j in range(w.shape[1]):
        out[:, j] = project_l1(w[:, j], float(radii[j]))
    return out


class Rows(torch.utils.data.Dataset):
    def __init__(self, x, y, names):
        self.x, self.y, self.names = torch.Tensor(x), torch.Tensor(y), names

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i], self.names[i]


class NetBio(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_out))
        self.decoder = nn.Sequential(nn.Linear(n_out, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_in))

    def forward(self, x):
        code = self.encoder(x)
        return code, self.decoder(code)


def masked_params(net: nn.Module) -> list[tuple[int, torch.Tensor]]:
    """The parameters the script masks: even index below len/2 - 2 (the first weight)."""
    params = list(net.parameters())
    return [(k, p) for k, p in enumerate(params) if k < len(params) / 2 - 2 and k % 2 == 0]


def train(net, loaders, masks, project, eta, save_to: str):
    """One call of the script's RunAutoEncoder: ``masks`` None is phase 1 (projected at the end)."""
    train_dl, test_dl = loaders
    reconstruction, classification = nn.SmoothL1Loss(reduction="sum"), nn.CrossEntropyLoss(reduction="sum")
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    best, codes = 0, None
    for epoch in range(EPOCHS):
        net.train()
        totals = [0.0, 0.0, 0.0, 0]
        for x, y, _ in tqdm(train_dl, file=QUIET):
            code, decoded = net(x)
            loss_c = classification(code, y.long())
            loss_r = LAMBDA * reconstruction(decoded, x)
            loss = loss_c + loss_r
            optimizer.zero_grad()
            loss.backward()
            if masks is not None:
                for (_, p), zero in zip(masked_params(net), masks):
                    p.grad[zero] = 0
            optimizer.step()
            with torch.no_grad():
                totals[0] += loss.item()
                totals[1] += loss_r.item()
                totals[2] += loss_c.item()
                totals[3] += (code.max(1)[1] == y).sum().item()
            if epoch == EPOCHS - 1:
                piece = torch.cat((code, y.view(-1, 1)), 1)
                codes = piece if codes is None else torch.cat((codes, piece), 0)  # as theirs
        if masks is None and epoch == EPOCHS - 1:
            params = list(net.parameters())
            for k, p in enumerate(params):
                if k != len(params) / 2 - 2:  # the middle layer is left alone
                    p.data = project(p.data, eta)
        net.eval()
        correct = 0
        for x, y, _ in tqdm(test_dl, file=QUIET):
            with torch.no_grad():
                code, decoded = net(x)
                (classification(code, y.long()) + LAMBDA * reconstruction(decoded, x)).item()
                correct += (code.max(1)[1] == y).sum().item()
        if correct > best:
            best = correct
            torch.save(net.state_dict(), save_to)
    return codes.detach()


def run_best(net, loaders, saved: str) -> torch.Tensor:
    """The script's runBestNet: per-sample bookkeeping over both folds, test codes returned."""
    train_dl, test_dl = loaders
    net.load_state_dict(torch.load(saved))
    net.eval()
    for x, y, _ in train_dl:
        code, _ = net(x)
        with torch.no_grad():
            hits = (code.max(1)[1] == y).squeeze()
            for i in range(len(x)):
                int(y[i].item()), int(hits[i].item() if hits.dim() else hits.item())
    pieces = []
    for x, y, _ in test_dl:
        with torch.no_grad():
            code, _ = net(x)
            nn.Softmax(dim=1)(code).numpy().tolist()
            code.max(1)[1].item(), y.item()
            pieces.append(torch.cat((code, y.view(-1, 1)), 1))
    return torch.cat(pieces)


def fresh_net(seed: int, n_in: int, n_out: int) -> NetBio:
    np.random.seed(seed)
    torch.manual_seed(seed)
    return NetBio(n_in, n_out)


def one_configuration(x, y, project, eta: float) -> tuple[float, float]:
    """Seconds and mean test silhouette of one (constraint, eta) over seeds x folds."""
    names, saved = np.arange(len(x)), str(Path(tempfile.mkdtemp()) / "best_net")
    silhouettes, start = [], time.perf_counter()
    for seed in SEEDS:
        np.random.seed(seed)
        torch.manual_seed(seed)
        for fold in range(FOLDS):
            tr, te = list(KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(x))[fold]
            loaders = (torch.utils.data.DataLoader(Rows(x[tr], y[tr], names[tr]), batch_size=BATCH, shuffle=True),
                       torch.utils.data.DataLoader(Rows(x[te], y[te], names[te]), batch_size=1))
            net = fresh_net(seed, x.shape[1], int(y.max()) + 1)
            train(net, loaders, None, project, eta, saved)
            masks = [torch.where(p.abs() < 1e-3) for _, p in masked_params(net)]
            net = fresh_net(seed, x.shape[1], int(y.max()) + 1)
            for (_, p), zero in zip(masked_params(net), masks):
                p.data[zero] = 0
            codes = train(net, loaders, masks, project, eta, saved).numpy()
            test = run_best(net, loaders, saved).numpy()
            predicted = codes[:, :-1].argmax(1)
            metrics.silhouette_score(codes[:, :-1], codes[:, -1])
            silhouettes.append(metrics.silhouette_score(test[:, :-1], test[:, -1]))
            metrics.adjusted_rand_score(codes[:, -1], predicted)
            metrics.adjusted_mutual_info_score(codes[:, -1], predicted)
            metrics.precision_recall_fscore_support(codes[:, -1], predicted, average="macro", zero_division=0)
    return time.perf_counter() - start, float(np.mean(silhouettes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("configs", nargs="+", help="constraint:eta, constraint in l1, l11")
    opts = parser.parse_args()
    table = pd.read_csv(Path(opts.data_dir) / "ohlson" / "Olsson.csv")
    y = pd.factorize(table.pop("labels"))[0]
    x = scale(table.to_numpy(dtype=np.float64))  # doScale=True, doLog=False (already log-scaled)
    for config in opts.configs:
        name, eta = config.split(":")
        seconds, silhouette = one_configuration(x, y, {"l1": project_l1, "l11": project_l11}[name], float(eta))
        print(f"{name} {eta} {seconds:.2f} {silhouette:.4f}", flush=True)


if __name__ == "__main__":
    main()
