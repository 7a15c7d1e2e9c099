"""Datasets, label specifications, augmentation, and the fine-tune folder where a person's
corrected images are staged."""
