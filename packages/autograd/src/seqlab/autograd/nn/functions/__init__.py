"""Autograd Functions behind `nn.functional`: fused kernels and NumPy forward/backward pairs."""
