"""Which files count as images, by suffix: the one list that datasets, predict, convert, video
frame folders and the app all use."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
