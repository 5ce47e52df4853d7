"""Reports read only metrics.json files: tables can be rebuilt without retraining."""
