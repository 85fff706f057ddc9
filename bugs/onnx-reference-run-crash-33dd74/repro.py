"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Cast -> Shape -> AffineGrid -> ReduceSum -> Div on float32 (opset 20)

The model passes the full checker, whose strict type inference gives every value its type from the schemas, and the runtime refuses an element type there: it computed a type the spec does not give (every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with graph optimizations disabled)). Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t2 = 1
MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (float[1,1,2,1] x11, float[1,2,3] x12) => (float16[unk__0,2] t13) 
   <int64[2] t1 =  {1,2}, float16 t2 =  {15360}>
{
   t3 = Cast <to: int = 10> (x11)
   t4 = Shape (t3)
   t5 = Cast <to: int = 10> (x12)
   t6 = AffineGrid <align_corners: int = 0> (t5, t4)
   t7 = ReduceSum <keepdims: int = 0> (t6, t1)
   t13 = Div (t7, t2)
}
''')
INPUTS = {'x11': np.array([[[[0.4392062723636627], [-0.9423849582672119]]]], dtype=np.float32), 'x12': np.array([[[0.23327018320560455, -0.10615737736225128, 1.8122849464416504], [-0.504658043384552, 1.901708960533142, 1.4577025175094604]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeTypeError: Input type mismatch: float', "operator ''Div'', shapes")) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
