"""The contexts an op spec works through, declared here as protocols so that the op layer
imports nothing above it: the generator (fuzzer.generate.Builder) implements DrawContext,
the materializers (fuzzer.materialize) implement TorchContext, OnnxContext and TfContext.

A spec only ever calls what is declared here; a context may offer more.
No op specs live here (the registry scans this module and finds none).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol

from fuzzer.choices import Choices
from fuzzer.ir import DType, Graph, TensorType, Value


class DrawConfig(Protocol):
    """The parts of the generator's configuration a spec may read while drawing."""

    dtypes: frozenset
    ops: tuple[str, ...] | None
    avoid: frozenset
    max_inputs: int
    max_dim: int


class DrawContext(Protocol):
    """A graph under construction, as a spec drawing its operands and attributes sees it."""

    graph: Graph
    choices: Choices
    config: DrawConfig

    def operand(self, t: TensorType, *, weight: bool = False, reuse: float = 0.4,
                domain: tuple[float, float] | None = None) -> Value:
        """A value of exactly type t: an existing one, a new graph input, or a weight."""

    def new_input(self, t: TensorType, domain: tuple[float, float] | None = None) -> Value:
        """A new graph input of type t."""

    def const(self, t: TensorType, domain: tuple[float, float] | None = None) -> Value:
        """A new constant of type t with drawn values (inside domain)."""

    def int_const(self, values, dtype: DType = DType.int64) -> Value:
        """A constant holding exactly values."""

    def guard(self, x: Value, domain: tuple[float, float]) -> Value:
        """x kept (or mapped by inserted ops) inside domain."""


class TorchContext(Protocol):
    """What a torch lowering may ask of the torch materializer."""

    #: every float renders as float64 (the ground truth)
    truth: bool

    def dtype(self, dtype: DType) -> str:
        """The torch source spelling of dtype ("torch.float32"; float64 in truth mode)."""


class OnnxContext(Protocol):
    """What an `onnx` lowering may ask of the direct ONNX materializer.

    node(op, inputs, outputs, **attrs)   add a node; outputs are names, or a count for fresh names
    const(array, dtype) / ints(values) / scalar(value, dtype)   initializers; return their names
    subgraph(inputs, build)              a GraphProto for If/Loop/Scan bodies
    widen(op, inputs, outs, dtype, ...)  one node computed in a dtype the op's schema takes
    """

    opset: int
    truth: bool
    symbolic: bool
    #: the IR TensorType of every operand and output name
    types: dict[str, TensorType]
    nodes: list
    initializers: list

    def fresh(self, hint: str = "t") -> str: ...
    def dtype(self, dtype: DType) -> DType: ...
    def elem(self, dtype: DType) -> int: ...
    def node(self, op_type: str, inputs: Iterable[str], outputs: "int | Iterable[str]" = 1,
             *, domain: str = "", **attrs) -> list[str]: ...
    def const(self, array, dtype: DType | None = None, *, exact: bool = False) -> str: ...
    def ints(self, values) -> str: ...
    def scalar(self, value, dtype: DType) -> str: ...
    def widen(self, op: str, inputs: Iterable, outs: "int | Iterable[str]", dtype: DType | None = None, *,
              out_dtype: DType | None = None, keep: Iterable[int] = (), keep_outs: Iterable[int] = (),
              index: int | None = None, **attrs) -> list[str]:
        """One node of op, its operands cast to the nearest dtype op's schema takes at opset
        (fuzzer.ops.lowering.WIDER) and its results cast back: see the materializer's docstring."""

    def subgraph(self, inputs: list[tuple[str, TensorType]],
                 build: Callable[[Any, list[str]], list[tuple[str, TensorType]]],
                 name: str = "body", input_shapes: list | None = None) -> Any: ...


class TfContext(Protocol):
    """What a `tf` lowering may ask of the TensorFlow materializer.

    A lowering is `tf(ctx, attrs, args, types)`: args are the operand tensors, types their IR
    TensorTypes; it returns one tensor, or a tuple for a multi-output op.
    """

    #: the tensorflow module (imported by the materializer, never by the op layer)
    tf: Any

    def dtype(self, dtype: DType) -> Any:
        """The tf.DType of an IR dtype."""

    def widen(self, fn: Callable, *xs: Any, floats: bool = True, ints: bool = True) -> Any:
        """fn(*xs) computed where TF's CPU kernels are exact: float16/bfloat16 operands in
        float32 (floats=True), int8/int16/uint8 ones in int64 (ints=True); cast back."""


__all__ = ["DrawConfig", "DrawContext", "OnnxContext", "TfContext", "TorchContext"]
