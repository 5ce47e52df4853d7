"""Does a linear decoder span the principal subspace? (the lecture: "linear AE = PCA";
Baldi & Hornik 1989). For a dictionary model with a linear (identity) output and k atoms,
k < features: the largest principal angle, in degrees, between the atoms' span and the top-k
principal components of the training data (scipy.linalg.subspace_angles; ``pca_angle_max``),
PCA's own test MSE with k components (``pca_mse``) and the model's MSE over PCA's
(``mse_over_pca``: 1 at the optimum)."""

from __future__ import annotations

import numpy as np

from . import METRICS, EvalInputs


@METRICS.register("pca_subspace")
def pca_subspace(inputs: EvalInputs) -> dict:
    from scipy.linalg import subspace_angles  # lazy (registry.py)
    from sklearn.decomposition import PCA  # lazy (registry.py)

    atoms, x_train = inputs.atoms, inputs.x_train
    if atoms is None or x_train is None or inputs.decoder_activation not in (None, "identity"):
        return {}
    k = atoms.shape[0]
    if k >= min(x_train.shape):
        return {}
    pca = PCA(n_components=k, random_state=inputs.seed).fit(x_train)
    angles = np.degrees(subspace_angles(atoms.T.astype(np.float64), pca.components_.T.astype(np.float64)))
    result = {"pca_angle_max": float(angles.max())}
    if inputs.x_test is not None:
        restored = pca.inverse_transform(pca.transform(inputs.x_test))
        result["pca_mse"] = float(np.mean((restored - inputs.x_test) ** 2))
        if inputs.reconstruction_test is not None:
            model_mse = float(np.mean((inputs.reconstruction_test - inputs.x_test) ** 2))
            result["mse_over_pca"] = model_mse / result["pca_mse"]
    return result
