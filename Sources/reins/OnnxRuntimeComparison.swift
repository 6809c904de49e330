import ArgumentParser
import ReinsCore
import ReinsPolicy

#if canImport(Glibc)
import Glibc
#endif

/// Times the same network in onnxruntime for `reins bench policy --compare-onnxruntime`: the weights
/// go to Python as safetensors, a script builds the ONNX graph with onnx.helper and times
/// `session.run` on a single-threaded session.
enum OnnxRuntimeComparison {
    struct Result {
        var version: String
        var medianNanoseconds: UInt64
        var p99Nanoseconds: UInt64
        var noopMedianNanoseconds: UInt64
        var maximumDifference: Double
    }

    static func run(network: PolicyNetwork, observation: [Double], iterations: Int) throws -> Result {
        let folder = try TemporaryFolder()
        defer { folder.remove() }

        var entries: [SafetensorsFile.Entry] = []
        for (index, layer) in network.layers.enumerated() {
            entries.append(.init(name: "layer.\(index).weight", shape: [layer.outputs, layer.inputs], values: layer.weights))
            entries.append(.init(name: "layer.\(index).bias", shape: [layer.outputs], values: layer.bias))
        }
        if let head = network.classificationHead {
            entries.append(.init(name: "head.weight", shape: [head.layer.outputs, head.layer.inputs], values: head.layer.weights))
            entries.append(.init(name: "head.bias", shape: [head.layer.outputs], values: head.layer.bias))
        }
        let n = network.observationCount, a = network.actionCount
        entries.append(.init(name: "observation.mean", shape: [n], values: network.observationNormalization?.mean ?? Array(repeating: 0, count: n)))
        entries.append(.init(name: "observation.std", shape: [n], values: network.observationNormalization?.std ?? Array(repeating: 1, count: n)))
        entries.append(.init(name: "action.mean", shape: [a], values: network.actionNormalization?.mean ?? Array(repeating: 0, count: a)))
        entries.append(.init(name: "action.std", shape: [a], values: network.actionNormalization?.std ?? Array(repeating: 1, count: a)))
        let weightsPath = folder.path + "/weights.safetensors"
        let scriptPath = folder.path + "/onnxruntime_bench.py"
        try FileBytes.write(SafetensorsFile.serialize(entries), to: weightsPath)
        try FileBytes.write(Array(script.utf8), to: scriptPath)

        let engine = PolicyEngine(network: network)
        var output = PolicyOutput(for: network)
        engine.forward(observation, into: &output)
        var parameter = 0.0
        switch network.activation {
        case .leakyReLU(let slope): parameter = slope
        case .elu(let alpha): parameter = alpha
        default: break
        }
        let config = "{\"layers\":\(network.layers.count),\"activation\":\"\(network.activation.name)\",\"parameter\":\(parameter),"
            + "\"head\":\(network.classificationHead != nil),\"iterations\":\(iterations),"
            + "\"observation\":[\(observation.map { "\($0)" }.joined(separator: ","))],"
            + "\"reins_action\":[\(output.action.map { "\($0)" }.joined(separator: ","))]}"

        let result = spawnAndWait("python3", [scriptPath, weightsPath, config], folder: folder.path)
        guard result.status == 0 else {
            printError("the onnxruntime comparison failed (python3 \(scriptPath)):")
            printError(result.standardError.isEmpty ? "exit status \(result.status)" : result.standardError)
            printError("it needs python3 with numpy, safetensors, onnx and onnxruntime: python3 -m pip install numpy safetensors onnx onnxruntime")
            throw ExitCode(1)
        }
        guard let node = try? JSONParser.parse(Array(result.standardOutput.utf8)), case .object(let fields) = node.value else {
            printError("the onnxruntime script printed something other than one JSON object: \(result.standardOutput)")
            throw ExitCode(1)
        }
        func value(_ key: String) -> JSONNode? { fields.first { $0.key == key }?.value }
        guard case .string(let version)? = value("version")?.value,
              let median = value("median_ns")?.nonNegativeInteger, let p99 = value("p99_ns")?.nonNegativeInteger,
              let noop = value("noop_median_ns")?.nonNegativeInteger, let difference = value("max_abs_difference")?.double else {
            printError("the onnxruntime script's JSON lacks a field: \(result.standardOutput)")
            throw ExitCode(1)
        }
        return Result(version: version, medianNanoseconds: UInt64(median), p99Nanoseconds: UInt64(p99),
                      noopMedianNanoseconds: UInt64(noop), maximumDifference: difference)
    }

    /// A private scratch folder under /tmp.
    struct TemporaryFolder {
        let path: String

        init() throws {
            var template = Array("/tmp/reins-onnx-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw SystemError("create a folder in", path: "/tmp")
            }
            path = String(cString: made)
        }

        func remove() {
            for name in ["weights.safetensors", "onnxruntime_bench.py", "stdout", "stderr"] { unlink(path + "/" + name) }
            rmdir(path)
        }
    }

    /// Runs a program to completion with its output in files (a chatty child never blocks on a pipe).
    static func spawnAndWait(_ program: String, _ arguments: [String], folder: String) -> (status: Int32, standardOutput: String, standardError: String) {
        let outPath = folder + "/stdout", errPath = folder + "/stderr"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, program, &actions, nil, argv, environ) == 0 else {
            return (127, "", "cannot start \(program)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let out = (try? FileBytes.readText(outPath)) ?? ""
        let err = (try? FileBytes.readText(errPath)) ?? ""
        return (code, out, err)
    }

    static let script = #"""
        """Time a Reins policy in onnxruntime: python3 onnxruntime_bench.py WEIGHTS.safetensors CONFIG_JSON"""
        import json
        import sys
        import time

        import numpy as np
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper
        from safetensors.numpy import load_file

        weights = load_file(sys.argv[1])
        config = json.loads(sys.argv[2])
        n_obs = weights["observation.mean"].shape[0]
        nodes, inits = [], []

        def const(name, value):
            inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
            return name

        def node(op, inputs, output, **attrs):
            nodes.append(helper.make_node(op, inputs, [output], **attrs))
            return output

        const("obs_mean", weights["observation.mean"])
        const("obs_inv_std", 1.0 / weights["observation.std"].astype(np.float64))
        h = node("Mul", [node("Sub", ["observation", "obs_mean"], "centred"), "obs_inv_std"], "normalised")
        activation, parameter = config["activation"], config["parameter"]
        for i in range(config["layers"] - 1):
            pre = node("Gemm", [h, const(f"w{i}", weights[f"layer.{i}.weight"]), const(f"b{i}", weights[f"layer.{i}.bias"])], f"pre{i}", transB=1)
            if activation == "relu":
                h = node("Relu", [pre], f"h{i}")
            elif activation == "leaky_relu":
                h = node("LeakyRelu", [pre], f"h{i}", alpha=parameter)
            elif activation == "tanh":
                h = node("Tanh", [pre], f"h{i}")
            elif activation == "elu":
                h = node("Elu", [pre], f"h{i}", alpha=parameter)
            elif activation == "gelu":
                erf = node("Erf", [node("Mul", [pre, const(f"rsqrt2_{i}", 0.7071067811865476)], f"scaled{i}")], f"erf{i}")
                half = node("Mul", [node("Add", [erf, const(f"one{i}", 1.0)], f"onep{i}"), const(f"half{i}", 0.5)], f"halfp{i}")
                h = node("Mul", [pre, half], f"h{i}")
            else:
                h = node("Mul", [pre, node("Sigmoid", [pre], f"sig{i}")], f"h{i}")
        last = config["layers"] - 1
        raw = node("Gemm", [h, const("wl", weights[f"layer.{last}.weight"]), const("bl", weights[f"layer.{last}.bias"])], "raw", transB=1)
        node("Add", [node("Mul", [raw, const("act_std", weights["action.std"])], "scaled_action"), const("act_mean", weights["action.mean"])], "action")
        outputs = [helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, None])]
        if config["head"]:
            node("Gemm", [h, const("wh", weights["head.weight"]), const("bh", weights["head.bias"])], "logits", transB=1)
            outputs.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, None]))
        graph = helper.make_graph(nodes, "reins_policy", [helper.make_tensor_value_info("observation", TensorProto.FLOAT, [1, n_obs])], outputs, inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        onnx.checker.check_model(model)

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])

        feed = {"observation": np.asarray([config["observation"]], dtype=np.float32)}
        action = session.run(None, feed)[0][0]
        difference = float(np.max(np.abs(action.astype(np.float64) - np.asarray(config["reins_action"]))))

        def timed(call, count):
            clock = time.perf_counter_ns
            samples = [0] * count
            for k in range(count):
                start = clock()
                call(None, feed)
                samples[k] = clock() - start
            samples.sort()
            return samples[count // 2], samples[min(count - 1, count * 99 // 100)]

        def noop(names, inputs):
            return None

        count = config["iterations"]
        run = session.run
        timed(run, min(count, 2000))
        median, p99 = timed(run, count)
        noop_median, _ = timed(noop, count)
        print(json.dumps({"version": ort.__version__, "median_ns": median, "p99_ns": p99,
                          "noop_median_ns": noop_median, "max_abs_difference": difference}))
        """#
}
