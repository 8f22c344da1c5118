"""What a recorded graph holds, for tests that check which path a call took."""


def graph_functions(tensor) -> set:
    """The Function classes of every node behind `tensor`."""
    seen, found, pending = set(), set(), [tensor._ctx]
    while pending:
        ctx = pending.pop()
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        found.add(ctx.function)
        pending.extend(getattr(t, "_ctx", None) for t in ctx.inputs)
    return found
