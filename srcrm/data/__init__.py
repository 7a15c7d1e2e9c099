"""Datasets, label specifications and augmentation."""
