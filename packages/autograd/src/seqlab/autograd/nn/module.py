"""`Module`: a registry of parameters, buffers and submodules with dotted names."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from seqlab.autograd import aligned, versions
from seqlab.autograd.devices import to_arguments
from seqlab.autograd.nn.hooks import RemovableHandle, add_hook, call_with_hooks
from seqlab.autograd.nn.incompatible_keys import IncompatibleKeys
from seqlab.autograd.nn.parameter import Parameter
from seqlab.autograd.tensor import Tensor
from seqlab.autograd.threads import seqlab_computing

# Tensor's own slot writes, past `Parameter.__setattr__` (a Python call per write: ~0.35 us
# against ~0.1): for a gradient, which it does not guard, and for data made on a line here
_set_grad = Tensor.grad.__set__
_set_data = Tensor.data.__set__


class StateDictError(KeyError):
    """`load_state_dict` found missing, unexpected or mis-shaped keys."""

    def __str__(self) -> str:
        return str(self.args[0])


def _refusal(value: Any, kind: str, name: str, expected: str, advice: str = "") -> str:
    """PyTorch's words for a value of the wrong kind assigned over a registered name."""
    found = type(value).__name__
    return f"cannot assign '{found}' as {kind} '{name}' ({expected} expected){advice}"


def _check_buffer(value: Any, name: str) -> None:
    """A buffer holds an ndarray (seqlab's state_dict is plain arrays) or None."""
    if value is not None and not isinstance(value, np.ndarray):
        advice = "; pass tensor.numpy()" if isinstance(value, Tensor) else ""
        raise TypeError(_refusal(value, "buffer", name, "an ndarray or None", advice))


class Module:
    """Base class of layers and models, as PyTorch's `nn.Module`.

    Assigning a `Parameter` or a `Module` to an attribute registers it; `named_parameters()`
    gives dotted names (`encoder.weight_ih_l0`) that `state_dict()` and safetensors files use.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, giving a module pickled by an earlier seqlab the attributes it lacks
        (no hooks, every buffer persistent), as PyTorch's `Module.__setstate__` does."""
        self.__dict__.update(state)
        for name, default in (("_non_persistent", set), ("_forward_pre_hooks", OrderedDict),
                              ("_forward_hooks", OrderedDict)):
            if name not in self.__dict__:
                object.__setattr__(self, name, default())

    # ----------------------------------------------------------------- registry
    def __setattr__(self, name: str, value: Any) -> None:
        """Register a Parameter, a Module or a buffer's new array, as PyTorch's `Module`.

        A name keeps its place in `state_dict()` when re-assigned (weight tying). A name that
        holds a parameter, buffer or submodule refuses a value of another kind (only None may
        clear it): a plain Tensor over a parameter would silently drop it from the optimizer
        and from checkpoints.
        """
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if isinstance(value, Parameter):
            self._unregister(name, keep=self._parameters)
            self._parameters[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(_refusal(value, "parameter", name, "nn.Parameter or None",
                                         "; wrap the tensor in nn.Parameter"))
            self._parameters[name] = None
        elif isinstance(value, Module):
            self._unregister(name, keep=self._modules)
            self._modules[name] = value
        elif name in self._modules:
            if value is not None:
                raise TypeError(_refusal(value, "child module", name, "nn.Module or None"))
            self._modules[name] = None
        elif name in self._buffers:
            _check_buffer(value, name)
            self._buffers[name] = value  # an array on a buffer's name updates the buffer
        object.__setattr__(self, name, value)

    def _unregister(self, name: str, keep: OrderedDict | None) -> None:
        """Drop `name` from every registry except `keep` (where it keeps its position)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def __delattr__(self, name: str) -> None:
        self._unregister(name, keep=None)
        object.__delattr__(self, name)

    def _check_name(self, name: str, kind: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"{type(self).__name__}: {kind} name must be a non-empty string without '.', "
                f"got {name!r}"
            )

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Register a parameter (None keeps the name, as for `bias=False`)."""
        self._check_name(name, "parameter")
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter({name!r}): expected a Parameter or "
                f"None, got {type(parameter).__name__}; wrap the tensor in nn.Parameter"
            )
        for registry in (self._buffers, self._modules):
            registry.pop(name, None)
        object.__setattr__(self, name, parameter)
        self._parameters[name] = parameter

    def register_buffer(self, name: str, array: np.ndarray | None,
                        persistent: bool = True) -> None:
        """Register a non-trainable array; `state_dict()` saves it unless persistent=False
        (a value derived from others, as PyTorch's non-persistent buffers)."""
        self._check_name(name, "buffer")
        _check_buffer(array, name)
        for registry in (self._parameters, self._modules):
            registry.pop(name, None)
        object.__setattr__(self, name, array)
        self._buffers[name] = array
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a submodule under `name`."""
        self._check_name(name, "module")
        for registry in (self._parameters, self._buffers):
            registry.pop(name, None)
        object.__setattr__(self, name, module)
        self._modules[name] = module

    # ----------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every submodule, with dotted names ('' for this one)."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules with their names; one held under two names is listed once, under
        the first (as PyTorch's)."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with its dotted name, in registration order."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, parameter in module._parameters.items():
                if parameter is None or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters():
            yield parameter

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for module_name, module in self.named_modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(p.data.size for p in self.parameters() if p.requires_grad)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameters and persistent buffers as plain ndarrays under their dotted names.

        A tied parameter or a submodule held under two names appears under every name that
        holds it, as in PyTorch (whose checkpoints then load here with strict=True).
        """
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for dotted, module in self._module_paths():
            for name, parameter in module._parameters.items():
                if parameter is not None:
                    state[dotted + name] = parameter.data
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    state[dotted + name] = buffer
        return state

    def _module_paths(self) -> Iterator[tuple[str, Module]]:
        """Every submodule under every path that reaches it, pre-order, each path as a prefix
        ending in '.' ('' for this module): PyTorch's `state_dict` walk, which does not
        deduplicate. A module that contains itself is not entered again."""
        stack: list[tuple[str, Module, frozenset[int]]] = [("", self, frozenset())]
        while stack:
            prefix, module, ancestors = stack.pop()
            yield prefix, module
            inside = ancestors | {id(module)}
            children = [(f"{prefix}{name}.", child, inside)
                        for name, child in module._modules.items()
                        if child is not None and id(child) not in inside]
            stack.extend(reversed(children))

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into parameters and buffers; returns the keys left alone, as PyTorch's
        `(missing_keys, unexpected_keys)` named tuple.

        With strict=True, any missing, unexpected or mis-shaped key raises one error naming all.
        """
        own = self.state_dict()
        state = {key: value.data if isinstance(value, Tensor) else value
                 for key, value in state.items()}
        missing = [key for key in own if key not in state]
        unexpected = [key for key in state if key not in own]
        mismatched = [
            f"{key}: checkpoint {tuple(np.shape(state[key]))}, model {own[key].shape}"
            for key in own
            if key in state and tuple(np.shape(state[key])) != own[key].shape
        ]
        problems = []
        if missing:
            problems.append("missing keys: " + ", ".join(self._named_with_tie(missing, state)))
        if unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("mis-shaped keys: " + "; ".join(mismatched))
        if mismatched or (strict and problems):
            raise StateDictError(
                f"cannot load state_dict into {type(self).__name__}: " + " | ".join(problems)
            )
        for dotted, module in self._module_paths():
            for name, parameter in module._parameters.items():
                if parameter is not None and dotted + name in state:
                    value = np.asarray(state[dotted + name])
                    # PyTorch copies into the parameter in place (views taken before, an
                    # earlier state_dict() included, see the loaded values): a graph that saved
                    # the old values must refuse backward, so stamp the memory written
                    versions.mark_written(parameter.data)
                    if parameter.data.flags.writeable:  # (shapes checked above; on its line)
                        np.copyto(parameter.data, value, casting="unsafe")
                    else:  # a read-only array (memory-mapped): a copy of its own
                        parameter.data = aligned.copy(value, parameter.data.dtype)
            for name, buffer in list(module._buffers.items()):
                if buffer is not None and dotted + name in own and dotted + name in state:
                    value = np.asarray(state[dotted + name])
                    if isinstance(buffer, np.ndarray) and buffer.flags.writeable:
                        versions.mark_written(buffer)
                        np.copyto(buffer, value, casting="unsafe")
                    else:
                        setattr(module, name, np.array(value, dtype=buffer.dtype, copy=True))
        return IncompatibleKeys(missing, unexpected)

    def _named_with_tie(self, missing: list[str], state: dict[str, Any]) -> list[str]:
        """Each missing key, with the key it is tied to (the same Parameter) where the state
        holds that one: `safetensors.torch.save_model` keeps one name of tied weights."""
        keys_of: dict[int, list[str]] = {}
        for dotted, module in self._module_paths():
            for name, parameter in module._parameters.items():
                if parameter is not None:
                    keys_of.setdefault(id(parameter), []).append(dotted + name)
        by_key = {key: keys for keys in keys_of.values() for key in keys}
        named = []
        for key in missing:
            given = [twin for twin in by_key.get(key, []) if twin in state]
            named.append(f"{key} (tied to {given[0]}, which is given: load with strict=False "
                         "to fill both from it)" if given else key)
        return named

    # ----------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for parameter in self.parameters():
            parameter.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                _set_grad(parameter, None)
            else:
                parameter.grad.fill(0)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating parameters and buffers in place (gradients are dropped): PyTorch's
        `.to(dtype)`, `.to(device)`, `.to(device, dtype)`, `.to(tensor)` (its dtype) and
        keywords device, dtype, non_blocking. "cpu" changes nothing (seqlab runs on the
        CPU), any other device ("cuda", "cuda:0", "mps", ...) is refused; a module that
        cannot run in the dtype (`check_dtype`, the recurrent stacks' float32/float64) refuses
        it before anything is cast.
        """
        dtype, _ = to_arguments(f"{type(self).__name__}.to", args, kwargs)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(
                f"{type(self).__name__}.to() only casts to floating-point dtypes, got {dtype}"
            )
        for module in self.modules():
            module.check_dtype(dtype)
        for parameter in self.parameters():
            if parameter.data.dtype.kind == "f":
                _set_data(parameter, aligned.copy(parameter.data, dtype))  # on a line
                _set_grad(parameter, None)
        for module in self.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is not None and buffer.dtype.kind == "f":
                    setattr(module, name, buffer.astype(dtype))
        return self

    def cpu(self) -> Module:
        """The module itself: seqlab runs on the CPU (PyTorch's `module.cpu()`)."""
        return self

    def check_dtype(self, dtype: np.dtype) -> None:
        """Refuse (TypeError, one line) a floating dtype this module cannot run in (none by
        default). `to` asks each submodule before it casts anything."""

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def apply(self, fn: Any) -> Module:
        """Call fn on every submodule, then on self: PyTorch's order (each child's subtree in
        turn, children in registration order), so an `apply(init_fn)` that draws random
        numbers draws them in the same order as the same code in PyTorch."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with seqlab_computing():  # BLAS on one thread while seqlab's own threads compute
            if self._forward_hooks or self._forward_pre_hooks:
                return call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(module, args)` before each forward; a value it returns replaces the
        args (PyTorch's rule). `handle.remove()` takes it away."""
        return add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(module, args, output)` after each forward; a value it returns replaces
        the output (PyTorch's rule). `handle.remove()` takes it away."""
        return add_hook(self._forward_hooks, hook)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: a one-line extra_repr stays on the name's line when the module has
        no children; otherwise each of its lines and each child gets an indented line."""
        extra_repr = self.extra_repr()
        extra = extra_repr.split("\n") if extra_repr else []
        children = [f"({name}): " + repr(module).replace("\n", "\n  ")
                    for name, module in self._modules.items()]
        if len(extra) == 1 and not children:
            return f"{type(self).__name__}({extra[0]})"
        if not extra and not children:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"
