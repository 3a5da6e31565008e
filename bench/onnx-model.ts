/**
 * A minimal protobuf encoder for the few ONNX messages the benchmark needs, and the two models
 * it runs in onnxruntime-web: the standard `SoftmaxCrossEntropyLoss` operator (opset 13, mean
 * reduction) alone, and the same operator followed by its analytic gradient built from standard
 * operators, (exp(log_prob) − one_hot(labels)) / N. onnxruntime-web ships no training operators,
 * so that graph is the gradient a user of it would have to build.
 * Field numbers are from onnx/onnx.proto3.
 */

/** One protobuf field: number and already-encoded payload. */
type Field = Uint8Array;

const utf8 = new TextEncoder();

function varint(value: number | bigint): number[] {
  // int64 fields are encoded as 64-bit two's complement; negative numbers are not needed here.
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A varint field (wire type 0): int32, int64, enum. */
function int(no: number, value: number | bigint): Field {
  return Uint8Array.from([...varint(no << 3), ...varint(value)]);
}

/** A length-delimited field (wire type 2): string, bytes, embedded message. */
function bytes(no: number, payload: Uint8Array | string): Field {
  const body = typeof payload === 'string' ? utf8.encode(payload) : payload;
  return concat([Uint8Array.from([...varint((no << 3) | 2), ...varint(body.length)]), body]);
}

/** An embedded message made of fields. */
function msg(no: number, fields: Field[]): Field {
  return bytes(no, concat(fields));
}

/** ONNX TensorProto.DataType values used here. */
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const FLOAT16 = 10;

type ElemType = typeof FLOAT | typeof INT32 | typeof INT64 | typeof FLOAT16;

/** ValueInfoProto: a named tensor with a fixed shape. */
function valueInfo(no: number, name: string, elemType: ElemType, dims: number[]): Field {
  const shape = dims.map((d) => msg(1, [int(1, d)]));
  return msg(no, [bytes(1, name), msg(2, [msg(1, [int(1, elemType), msg(2, shape)])])]);
}

/** TensorProto initializer holding raw little-endian data. */
function initializer(name: string, elemType: ElemType, dims: number[], data: Float32Array | Int32Array): Field {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return msg(5, [...dims.map((d) => int(1, d)), int(2, elemType), bytes(8, name), bytes(9, raw)]);
}

/** NodeProto; string and int attributes. */
function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, string | number> = {}): Field {
  const attributes = Object.entries(attrs).map(([name, value]) =>
    typeof value === 'number'
      ? msg(5, [bytes(1, name), int(3, value), int(20, 2 /* AttributeProto.INT */)])
      : msg(5, [bytes(1, name), bytes(4, value), int(20, 3 /* AttributeProto.STRING */)]),
  );
  return msg(1, [
    ...inputs.map((i) => bytes(1, i)),
    ...outputs.map((o) => bytes(2, o)),
    bytes(4, opType),
    ...attributes,
  ]);
}

/** ModelProto with one graph, IR version 8, default-domain opset 13. */
function model(graph: Field[]): Uint8Array {
  return concat([
    int(1, 8),
    bytes(2, 'xent-bench'),
    msg(7, [...graph, bytes(2, 'sce')]),
    msg(8, [bytes(1, ''), int(2, 13)]),
  ]);
}

/**
 * Builds the model for logits `scores` [n, c] (float) and `labels` [n] (int32).
 * Outputs `loss` (scalar mean); with `grad`, also `grad` [n, c], the gradient of the mean loss.
 */
export function softmaxCrossEntropyModel(n: number, c: number, grad: boolean): Uint8Array {
  const inputs = [valueInfo(11, 'scores', FLOAT, [n, c]), valueInfo(11, 'labels', INT32, [n])];
  const loss = valueInfo(12, 'loss', FLOAT, []);
  if (!grad) {
    return model([node('SoftmaxCrossEntropyLoss', ['scores', 'labels'], ['loss'], { reduction: 'mean' }), ...inputs, loss]);
  }
  return model([
    node('SoftmaxCrossEntropyLoss', ['scores', 'labels'], ['loss', 'log_prob'], { reduction: 'mean' }),
    node('Exp', ['log_prob'], ['prob']),
    node('OneHot', ['labels', 'depth', 'off_on'], ['target']),
    node('Sub', ['prob', 'target'], ['diff']),
    node('Div', ['diff', 'rows'], ['grad']),
    initializer('depth', INT32, [], Int32Array.of(c)),
    initializer('off_on', FLOAT, [2], Float32Array.of(0, 1)),
    initializer('rows', FLOAT, [], Float32Array.of(n)),
    ...inputs,
    loss,
    valueInfo(12, 'grad', FLOAT, [n, c]),
  ]);
}

/**
 * A tiny causal language model (test/node/ort-lm.test.ts): input_ids int64 [B, T] → Gather from
 * an embedding [V, H] → MatMul by W [H, V] → Add b [V] → logits [B, T, V], float32, or float16
 * through a final Cast. A bigram model: position t's logits depend on token t alone.
 */
export function causalLmModel(b: number, t: number, v: number, h: number, embedding: Float32Array, w: Float32Array, bias: Float32Array, half: boolean): Uint8Array {
  const out = half ? 'logits32' : 'logits';
  return model([
    node('Gather', ['embedding', 'input_ids'], ['hidden']),
    node('MatMul', ['hidden', 'w'], ['projected']),
    node('Add', ['projected', 'bias'], [out]),
    ...(half ? [node('Cast', ['logits32'], ['logits'], { to: FLOAT16 })] : []),
    initializer('embedding', FLOAT, [v, h], embedding),
    initializer('w', FLOAT, [h, v], w),
    initializer('bias', FLOAT, [v], bias),
    valueInfo(11, 'input_ids', INT64, [b, t]),
    valueInfo(12, 'logits', half ? FLOAT16 : FLOAT, [b, t, v]),
  ]);
}
