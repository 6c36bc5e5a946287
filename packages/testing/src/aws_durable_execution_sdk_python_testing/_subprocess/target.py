"""Naming a handler so that another process can import it: ``module:qualname`` (+ file).

A sandbox process cannot receive the handler object; it imports it again, as Lambda does
with the function's configured handler string. The name comes from the handler itself
(``__module__``/``__qualname__``, which ``functools.wraps`` carries through decorators).
A module run as ``__main__``, or a test file that pytest imported from its path, is loaded
from its file under the same module name, so error classes defined there keep their
module-qualified names on both sides.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

import attrs

from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["HandlerTarget", "load", "target_of"]


@attrs.frozen
class HandlerTarget:
    """Where a handler is found: a module (by name, or by file if not importable) and a path."""

    module: str
    qualname: str
    file: str | None = None

    def describe(self) -> str:
        return f"{self.module}:{self.qualname}"

    def to_dict(self) -> dict[str, Any]:
        return {"module": self.module, "qualname": self.qualname, "file": self.file}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HandlerTarget:
        return cls(data["module"], data["qualname"], data.get("file"))


def target_of(handler: Callable[..., Any]) -> HandlerTarget:
    """The importable name of ``handler``, checked before any process starts.

    Raises:
        DurableFunctionsTestError: the handler is a lambda or defined inside a function,
            so no other process can import it.
    """
    module = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", None)
    what = getattr(handler, "__qualname__", None) or repr(handler)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise DurableFunctionsTestError(
            f"invocation_mode='subprocess': the handler {what} has no __module__/__qualname__, "
            "so the sandbox process cannot import it; define it at module level"
        )
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise DurableFunctionsTestError(
            f"invocation_mode='subprocess': the handler {module}:{qualname} is defined inside "
            "a function (or is a lambda), so the sandbox process cannot import it; define it "
            "at module level of an importable module or test file"
        )
    loaded = sys.modules.get(module)
    qualname = _bound_name(loaded, qualname, handler)
    file = getattr(loaded, "__file__", None)
    return HandlerTarget(module, qualname, file if isinstance(file, str) else None)


def _bound_name(module: Any, qualname: str, handler: Callable[..., Any]) -> str:
    """The name under which the module holds ``handler`` itself.

    ``handler = durable_execution(plugins=[...])(body)`` keeps the body's ``__qualname__``
    (``functools.wraps``), which names the undecorated body: importing that name would run
    the body as a Lambda handler. The module attribute bound to this very object is the
    right name.
    """
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is handler or module is None:
        return qualname
    for name, value in vars(module).items():  # a module maps str names to values
        if value is handler:
            return str(name)
    return qualname


def load(target: HandlerTarget) -> Callable[..., Any]:
    """Import the handler named by ``target`` (in the sandbox process).

    Raises:
        ImportError: naming the target and why it could not be found.
    """
    module = sys.modules.get(target.module)
    if module is None and target.module != "__main__":
        try:
            module = importlib.import_module(target.module)
        except ModuleNotFoundError as error:
            if target.file is None or error.name != target.module.split(".")[0]:
                raise ImportError(f"cannot import {target.describe()}: {error}") from error
    if module is None or target.module == "__main__":
        module = _from_file(target)
    found: Any = module
    for part in target.qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise ImportError(
                f"cannot import {target.describe()}: module {target.module!r} has no "
                f"attribute {target.qualname!r} (is it created only when a test runs?)"
            )
    if not callable(found):
        raise ImportError(f"{target.describe()} is not callable")
    handler: Callable[..., Any] = found
    return handler


def _from_file(target: HandlerTarget) -> Any:
    if target.file is None:
        raise ImportError(f"cannot import {target.describe()}: its module has no file")
    # A script run as __main__ is loaded under another name, so its "if __name__ ==
    # '__main__'" block does not run again in the sandbox.
    name = "__durable_main__" if target.module == "__main__" else target.module
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, target.file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {target.describe()} from {target.file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
