"""numpy + safetensors as an independent reference for Reins' policy loader, inference and certification.

usage: policy_peer.py OUT.safetensors --sizes 6,32,32,3 [--seed S] [--prefix net.] [--indices 0,2,4]
       [--activation relu|leaky_relu|tanh|elu|gelu|silu] [--slope 0.1] [--alpha 1.0]
       [--dtype F32|F16|BF16|F64] [--config none|yaml|metadata] [--head K] [--inputs N] [--weight-scale 1.0]

Writes a random MLP with safetensors.numpy.save_file (nn.Linear layout, weight [out, in]) and, with
--config, the Reins policy config as OUT.yaml beside it or as JSON under __metadata__["reins"].
BF16 has no numpy dtype: the weights are rounded to bfloat16 (nearest even), written as U16 and the
header's dtype is rewritten to BF16.

Prints one JSON object computed by numpy in float64 from the weights exactly as stored (so F16/BF16
rounding is included): {"inputs": [[...]], "actions": [[...]], "logits": [[...]],
"product": p, "combettes_pesquet": c or null, "layer_norms": [...]} with the bounds computed on the
normalisation-folded matrices by SVD (np.linalg.norm(W, 2)) and the Combettes-Pesquet sum over every
subset of cut points enumerated explicitly.
"""
import argparse
import itertools
import json
import math
import struct
import sys

import numpy as np
from safetensors.numpy import save_file

SUP_DERIVATIVE = {"gelu": 1.1289041451851548, "silu": 1.0998393201288670}


def to_bf16_bits(values):
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def activation_function(name, slope, alpha):
    erf = np.vectorize(math.erf)
    return {
        "relu": lambda x: np.maximum(x, 0.0),
        "leaky_relu": lambda x: np.where(x < 0, slope * x, x),
        "tanh": np.tanh,
        "elu": lambda x: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))),
        "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
        "silu": lambda x: x / (1.0 + np.exp(-x)),
    }[name]


def rewrite_dtype(path, names, dtype):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    for name in names:
        header[name]["dtype"] = dtype
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data[8 + length:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default="net.")
    parser.add_argument("--indices")
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--slope", type=float, default=0.01)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--dtype", default="F32")
    parser.add_argument("--config", default="none")
    parser.add_argument("--head", type=int, default=0)
    parser.add_argument("--inputs", type=int, default=4)
    parser.add_argument("--weight-scale", type=float, default=1.0)
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    layers = len(sizes) - 1
    indices = [int(i) for i in args.indices.split(",")] if args.indices else list(range(layers))
    assert len(indices) == layers
    rng = np.random.default_rng(args.seed)

    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        limit = args.weight_scale / math.sqrt(n_in)
        weights.append(rng.uniform(-limit, limit, size=(n_out, n_in)))
        biases.append(rng.uniform(-limit, limit, size=(n_out,)))
    head_w = head_b = None
    if args.head:
        head_w = rng.uniform(-2, 2, size=(sizes[-1] * args.head, sizes[-2]))
        head_b = rng.uniform(-1, 1, size=(sizes[-1] * args.head,))

    config = {}
    obs_mean = np.zeros(sizes[0]); obs_std = np.ones(sizes[0])
    act_mean = np.zeros(sizes[-1]); act_std = np.ones(sizes[-1])
    if args.config != "none":
        obs_mean = rng.normal(0, 1, sizes[0]); obs_std = rng.uniform(0.5, 2.0, sizes[0])
        act_mean = rng.normal(0, 1, sizes[-1]); act_std = rng.uniform(0.5, 2.0, sizes[-1])
        config = {
            "observation": {"names": [f"o{i}" for i in range(sizes[0])], "mean": obs_mean.tolist(), "std": obs_std.tolist()},
            "action": {"names": [f"a{i}" for i in range(sizes[-1])], "mean": act_mean.tolist(), "std": act_std.tolist()},
            "activation": args.activation,
        }
        if args.activation == "leaky_relu":
            config["negative_slope"] = args.slope
        if args.activation == "elu":
            config["alpha"] = args.alpha
        if args.head:
            config["classification_head"] = {"bins": args.head, "range": [-1, 1]}

    # Store, then read back exactly what the file holds.
    tensors = {}
    stored = {}
    names_for = lambda stem: (f"{stem}.weight", f"{stem}.bias")
    stems = [f"{args.prefix}{i}" for i in indices]
    pairs = list(zip(stems, weights, biases))
    if args.head:
        pairs.append((f"{args.prefix}class_head", head_w, head_b))
    for stem, w, b in pairs:
        for name, value in zip(names_for(stem), (w, b)):
            if args.dtype == "F32":
                tensors[name] = value.astype(np.float32); stored[name] = tensors[name].astype(np.float64)
            elif args.dtype == "F64":
                tensors[name] = value.astype(np.float64); stored[name] = tensors[name]
            elif args.dtype == "F16":
                tensors[name] = value.astype(np.float16); stored[name] = tensors[name].astype(np.float64)
            elif args.dtype == "BF16":
                tensors[name] = to_bf16_bits(value); stored[name] = from_bf16_bits(tensors[name])
            else:
                raise SystemExit(f"unknown dtype {args.dtype}")
    metadata = {"reins": json.dumps(config)} if args.config == "metadata" else None
    save_file(tensors, args.out, metadata=metadata)
    if args.dtype == "BF16":
        rewrite_dtype(args.out, list(tensors), "BF16")
    if args.config == "yaml":
        # JSON is a subset of YAML flow style, but write block YAML the way a person would.
        lines = []
        for side in ("observation", "action"):
            lines.append(f"{side}:")
            for key, value in config[side].items():
                lines.append(f"  {key}: [{', '.join(repr(v) if isinstance(v, float) else str(v) for v in value)}]")
        lines.append(f"activation: {args.activation}")
        if "negative_slope" in config:
            lines.append(f"negative_slope: {config['negative_slope']!r}")
        if "alpha" in config:
            lines.append(f"alpha: {config['alpha']!r}")
        if args.head:
            lines.append(f"classification_head:\n  bins: {args.head}\n  range: [-1, 1]")
        with open(args.out.rsplit(".", 1)[0] + ".yaml", "w") as f:
            f.write("\n".join(lines) + "\n")

    w = [stored[f"{s}.weight"] for s in stems]
    b = [stored[f"{s}.bias"] for s in stems]
    act = activation_function(args.activation, args.slope, args.alpha)
    inputs = obs_mean + obs_std * rng.normal(0, 1, size=(args.inputs, sizes[0]))
    h = (inputs - obs_mean) / obs_std
    for wi, bi in zip(w[:-1], b[:-1]):
        h = act(h @ wi.T + bi)
    actions = act_mean + act_std * (h @ w[-1].T + b[-1])
    logits = []
    if args.head:
        logits = (h @ stored[f"{args.prefix}class_head.weight"].T + stored[f"{args.prefix}class_head.bias"]).tolist()

    folded = list(w)
    folded[0] = folded[0] / obs_std[None, :]
    folded[-1] = act_std[:, None] * folded[-1]
    norms = [float(np.linalg.norm(m, 2)) for m in folded]
    product = float(np.prod(norms))
    cp = None
    if args.activation in SUP_DERIVATIVE:
        product *= SUP_DERIVATIVE[args.activation] ** (layers - 1)
    elif args.activation in ("relu", "tanh") or (args.activation == "leaky_relu" and 0 <= args.slope <= 1) \
            or (args.activation == "elu" and 0 <= args.alpha <= 1):
        total = 0.0
        for cuts in itertools.product([False, True], repeat=layers - 1):
            term, start = 1.0, 0
            for position in range(layers):
                if position == layers - 1 or cuts[position]:
                    group = folded[start]
                    for k in range(start + 1, position + 1):
                        group = folded[k] @ group
                    term *= np.linalg.norm(group, 2)
                    start = position + 1
            total += term
        cp = total / 2 ** (layers - 1)
    else:
        slope = max(1.0, abs(args.slope if args.activation == "leaky_relu" else args.alpha))
        product *= slope ** (layers - 1)

    json.dump({"inputs": inputs.tolist(), "actions": actions.tolist(), "logits": logits,
               "product": product, "combettes_pesquet": cp, "layer_norms": norms}, sys.stdout)


if __name__ == "__main__":
    main()
