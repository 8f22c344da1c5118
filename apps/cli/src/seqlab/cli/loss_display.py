"""How a command prints a loss, a bits figure or a perplexity: one rule for all of them."""

from __future__ import annotations


def loss_text(loss: float) -> str:
    """A loss for the terminal: 3 decimals, or 4 significant digits once it is huge (a
    diverging run's 9.516e+24, not 25 digits and 3 decimals)."""
    return f"{loss:.3f}" if abs(loss) < 1e6 else f"{loss:.4g}"
