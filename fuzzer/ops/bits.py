"""torch bitwise ops (bitwise_and/or/xor/not, shifts) as torch exporters see them.

The ONNX-named specs in onnx_math.py build BitwiseAnd & co. directly; these are
the torch API names, so TorchScript and dynamo exporters get to choose the ONNX
spelling (BitwiseX at opset 18+, And/Or/Xor/Not for bool, BitShift for shifts).
Both dtype families matter: bool takes the logical ops, ints the bitwise ones.
"""
from __future__ import annotations

from typing import ClassVar

from fuzzer.ir import DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, broadcast_partner, either_side, same_type
from fuzzer.ops.dtypes import INTS_BUT_INT16, INTS_BUT_INT16_AND_BOOL



class BitwiseBinary(OpSpec):
    """z = fn(x, y), y broadcasting with x and of x's dtype."""

    fn: ClassVar[str]
    #: the ONNX op for int operands (opset 18+) and for bool operands (any opset)
    int_op: ClassVar[str]
    bool_op: ClassVar[str]
    dtypes = INTS_BUT_INT16_AND_BOOL
    # BitwiseAnd/Or/Xor appeared in opset 18; older opsets have no int bitwise ops at all
    min_opset = 18

    def operands(self, b, x):
        return either_side(b, x, TensorType(x.type.dtype, broadcast_partner(b, x.type.shape)))

    def infer(self, types, attrs):
        return [TensorType(types[0].dtype, broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        return f"{self.fn}({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        op = self.bool_op if ctx.types[a[0]].dtype == DType.bool else self.int_op
        ctx.node(op, a, outs)


class BitwiseAndT(BitwiseBinary):
    name, fn, onnx_ops = "bitwise_and", "torch.bitwise_and", ("BitwiseAnd", "And")
    int_op, bool_op = "BitwiseAnd", "And"


class BitwiseOrT(BitwiseBinary):
    name, fn, onnx_ops = "bitwise_or", "torch.bitwise_or", ("BitwiseOr", "Or")
    int_op, bool_op = "BitwiseOr", "Or"


class BitwiseXorT(BitwiseBinary):
    name, fn, onnx_ops = "bitwise_xor", "torch.bitwise_xor", ("BitwiseXor", "Xor")
    int_op, bool_op = "BitwiseXor", "Xor"


class BitwiseNotT(OpSpec):
    name, onnx_ops, dtypes, min_opset = "bitwise_not", ("BitwiseNot", "Not"), INTS_BUT_INT16_AND_BOOL, 18
    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        return f"torch.bitwise_not({a[0]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Not" if ctx.types[a[0]].dtype == DType.bool else "BitwiseNot", a, outs)


class Shift(OpSpec):
    """uint8 x shifted by a uint8 amount in [0, 7]: ONNX BitShift is unsigned-only, and
    amounts of 8 or more differ between torch (zero) and C (undefined)."""

    fn: ClassVar[str]
    direction: ClassVar[str]
    dtypes = frozenset({DType.uint8})

    def operands(self, b, x):
        return either_side(b, x, TensorType(DType.uint8, broadcast_partner(b, x.type.shape)), rhs_domain=(0, 7))

    def infer(self, types, attrs):
        return [TensorType(DType.uint8, broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        return f"{self.fn}({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("BitShift", a, outs, direction=self.direction)


class LeftShift(Shift):
    name, fn, onnx_ops, direction = "bitwise_left_shift", "torch.bitwise_left_shift", ("BitShift",), "LEFT"


class RightShift(Shift):
    name, fn, onnx_ops, direction = "bitwise_right_shift", "torch.bitwise_right_shift", ("BitShift",), "RIGHT"
