"""Operations: one module per durable operation, as small functions over ``ExecutionState``.

Operations never see ``DurableContext``: the context validates arguments and hands each
operation its identifier, which keeps the import graph one-way.
"""
