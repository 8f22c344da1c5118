"""NumPy Functions that the Tensor methods are built from."""
