"""Training: the epoch loop, constrained parameters and masks, double descent."""
