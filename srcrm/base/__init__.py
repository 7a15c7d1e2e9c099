"""What every room stands on: safe reading and writing (atomic writes, size limits, JSON that
cannot recurse away, outputs that never overwrite inputs, folder locks), the image suffixes and
headers, numbers checked against their ranges, the compute device, and where shipped files live.
Nothing here imports torch at module level except :mod:`srcrm.base.device`."""
