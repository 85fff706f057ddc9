"""The onnxscript optimizer produces a model the ONNX checker rejects: Gemm <beta = 0> on float32 (opset 8)

The onnxscript optimizer turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 8]
>
repro (float[1,3] x0, float[3,1] x1) => (float[1,1] out0) {
   t1 = Constant <value: tensor = float[1] {0}> ()
   out0 = Gemm <alpha: float = 1, beta: float = 0> (x0, x1, t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnx_ir as ir
    from onnxscript import optimizer
    model = ir.from_proto(onnx.load_model_from_string(model_bytes))
    optimizer.optimize(model)
    return ir.to_proto(model).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 8)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValidationError: Node(node_Gemm_', 'with schema(::Gemm', 'has input size')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
