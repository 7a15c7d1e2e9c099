"""Small layers shared by the modules."""

from torch import nn


class ConvBNReLU(nn.Sequential):
    """Conv, batch norm, ReLU: the unit every decoder layer is made of."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3, stride: int = 1):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )
