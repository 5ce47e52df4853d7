"""Hydra configuration tree, installed as the package ``sparseae_cli.conf``."""
