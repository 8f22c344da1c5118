"""`Optimizer`: parameter groups, per-parameter state, a state dict of arrays and numbers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from seqlab.autograd import aligned, versions
from seqlab.autograd.grad_mode import enable_grad
from seqlab.autograd.tensor import Tensor

_set_grad = Tensor.grad.__set__

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: holds `param_groups` and `state`, like `torch.optim.Optimizer`."""

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        # Keyed by the parameter itself: Tensor hashes by identity.
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__} params must be an iterable of Tensors or of dicts, "
                "got a single Tensor: wrap it in a list, e.g. [weight]"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling and `copy.deepcopy`: the state's arrays start on a 64-byte line again
        (`aligned`; a copy lands wherever NumPy's allocator puts it)."""
        self.__dict__.update(state)
        for values in self.state.values():
            for name, value in values.items():
                if isinstance(value, np.ndarray):
                    values[name] = aligned.on_line(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {value}" for key, value in group.items() if key != "params")
        lines.append(")")
        return "\n".join(lines)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a param group needs a 'params' entry (a list of Tensors)")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "param group 'params' must be an ordered iterable, not a set: its order "
                "decides how state_dict() numbers the parameters; pass a list"
            )
        params = list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize Tensors, got {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError(
                    "can't optimize a non-leaf Tensor (one computed from others); "
                    "optimize the leaf tensors it came from"
                )
        group = {key: value for key, value in param_group.items() if key != "params"}
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(param) for param in params}
        if len(seen) != len(params):
            raise ValueError("a param group contains the same parameter more than once")
        for other in self.param_groups:
            if any(id(param) in seen for param in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an invalid option; subclasses check their own."""
        if group.get("lr", 0.0) < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set `.grad` to None, or zero the arrays in place."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    _set_grad(param, None)  # past a Parameter's __setattr__ (`engine`)
                else:
                    param.grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss, if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._state_follows_dtypes()
        for group in self.param_groups:
            self._update_group(group)
        # The step wrote these in place with NumPy: stamp them (one clock time for all), so a
        # backward through a graph that saved their old values raises, as in PyTorch.
        versions.mark_all_written([
            param.data for group in self.param_groups for param in group["params"]
            if param.grad is not None
        ])
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _state_follows_dtypes(self) -> None:
        """Cast each parameter's floating state arrays to its dtype where they differ (after
        `model.double()`: `load_state_dict` casts so too). PyTorch's step raises on float32
        moments for a float64 weight instead; a few dtype reads a parameter a step."""
        for param, state in self.state.items():
            dtype = param.data.dtype
            for name, value in state.items():
                if (isinstance(value, np.ndarray) and value.dtype != dtype
                        and value.dtype.kind == "f"):
                    state[name] = aligned.copy(value, dtype)

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """A snapshot: {"state": {index: {name: ndarray | number}}, "param_groups": [...]}.

        Parameters are numbered in group order; arrays are copies, everything else is
        JSON-able, so it can go to a safetensors file plus JSON metadata.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
                indices.append(index_of[id(param)])
            options = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            groups.append({**options, "params": indices})
        state = {
            index_of[id(param)]: {name: _copy_value(value) for name, value in values.items()}
            for param, values in self.state.items()
            if id(param) in index_of
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore options and per-parameter state saved by `state_dict()` (arrays are copied)."""
        if "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError(
                "optimizer state dict needs 'state' and 'param_groups' entries, got keys "
                f"{sorted(state_dict)}; pass what Optimizer.state_dict() returned"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups but the optimizer "
                f"has {len(self.param_groups)}"
            )
        param_of: dict[int, Tensor] = {}
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"parameter group {number} has {len(group['params'])} parameters but the "
                    f"loaded state dict's has {len(saved['params'])}"
                )
            for param, index in zip(group["params"], saved["params"]):
                param_of[int(index)] = param

        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, values in state_dict["state"].items():
            index = int(key)  # JSON turns the integer keys into strings
            if index not in param_of:
                raise ValueError(f"state for parameter {index}, which no parameter group lists")
            param = param_of[index]
            new_state[param] = {
                name: _restore_value(name, value, param, index) for name, value in values.items()
            }
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            options = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_groups.append({**options, "params": group["params"]})
        self.state = new_state
        self.param_groups = new_groups


def _copy_value(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _restore_value(name: str, value: Any, param: Tensor, index: int) -> Any:
    """Copy a saved state entry, checking its shape and casting float arrays to the param dtype."""
    if name == "step":
        return int(np.asarray(value).item())
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if value.shape != param.data.shape:
        raise ValueError(
            f"state '{name}' of parameter {index} has shape {value.shape} but the parameter has "
            f"shape {param.data.shape}: the state dict belongs to a different model"
        )
    if np.issubdtype(value.dtype, np.floating):
        return aligned.copy(value, param.data.dtype)
    return aligned.copy(value)
