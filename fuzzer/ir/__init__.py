"""The framework-neutral graph IR."""
from fuzzer.ir.graph import CONST, INPUT, Graph, Node, Value
from fuzzer.ir.types import FLOATS, INTS, SIGNED, DType, TensorType, broadcast_shapes

__all__ = [
    "CONST", "INPUT", "Graph", "Node", "Value",
    "FLOATS", "INTS", "SIGNED", "DType", "TensorType", "broadcast_shapes",
]
