"""Containers: `Sequential` and `ModuleList`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from seqlab.autograd.nn.module import Module


class Sequential(Module):
    """Modules called one after another."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules, registered under their indices."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __repr__(self) -> str:
        """PyTorch's layout: a run of neighbours with the same repr is one line,
        `(first-last): n x child`."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return f"{type(self).__name__}()"
        lines, start = [], 0
        for end in range(1, len(reprs) + 1):
            if end < len(reprs) and reprs[end] == reprs[start]:
                continue
            shown = reprs[start].replace("\n", "\n  ")
            count = end - start
            lines.append(f"({start}): {shown}" if count == 1 else
                         f"({start}-{end - 1}): {count} x {shown}")
            start = end
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
