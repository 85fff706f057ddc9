"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: TopK -> IsNaN -> Not -> Cast -> ReduceSum -> Sub -> Mul -> Less -> Where -> GatherElements -> Ceil -> Add -> Squeeze on float32 (opset 20)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 20]
>
repro (float[2] x1) => (float out0) 
   <float t1 =  {0.5}, int64[1] t2 =  {2}, float t3 =  {0}, float t4 =  {1}, int64[1] t5 =  {-1}, int64 t6 =  {1}>
{
   t7, t8 = TopK <sorted: int = 1, largest: int = 0, axis: int = -1> (x1, t2)
   t9 = IsNaN (t7)
   t10 = Not (t9)
   t11 = Cast <to: int = 7> (t10)
   t12 = ReduceSum <noop_with_empty_axes: int = 0, keepdims: int = 1> (t11, t5)
   t13 = Sub (t12, t6)
   t14 = Cast <to: int = 1> (t13)
   t15 = Mul (t1, t14)
   t16 = Less (t15, t3)
   t17 = Where (t16, t3, t15)
   t18 = Cast <to: int = 7> (t17)
   t19 = GatherElements <axis: int = -1> (t7, t18)
   t20 = Cast <to: int = 1> (t18)
   t21 = Sub (t17, t20)
   t22 = Ceil (t17)
   t23 = Cast <to: int = 7> (t22)
   t24 = GatherElements <axis: int = -1> (t7, t23)
   t25 = Sub (t24, t19)
   t26 = Less (t21, t1)
   t27 = Mul (t21, t25)
   t28 = Add (t19, t27)
   t29 = Sub (t4, t21)
   t30 = Mul (t25, t29)
   t31 = Sub (t24, t30)
   t32 = Where (t26, t28, t31)
   out0 = Squeeze (t32, t5)
}
''')
INPUTS = {'x1': np.array([-1.6730587482452393, 0.2525758147239685], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValueError: Except for dimension -', 'all dimensions of index and self should be the same size')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
