import Torch

/// A convolution and its batch norm, the unit every ResNet block repeats.
struct ConvBN {
    let conv: Conv2d
    let bn: BatchNorm2d
    let convName: String
    let bnName: String
    private let foldCache = FoldedConvBN()

    init(
        _ inC: Int, _ outC: Int, kernel: Int, stride: Int, padding: Int, bias: Bool, eps: Double,
        convName: String, bnName: String
    ) throws {
        conv = try Conv2d(inC, outC, kernelSize: kernel, stride: stride, padding: padding, bias: bias)
        bn = try BatchNorm2d(outC, eps: eps)
        self.convName = convName
        self.bnName = bnName
    }

    /// conv then bn, each output tapped under its own name (prefixed by `path`); one folded
    /// convolution when `canFold` allows.
    func callAsFunction(_ x: Tensor, _ tap: TapRecorder, _ path: String) throws -> Tensor {
        if canFold(tap, path) { return try tap(path + bnName, folded(x, tap)) }
        let c = try tap(path + convName, conv(x))
        return try tap(path + bnName, bn(c))
    }

    /// Whether conv and bn may run as one convolution: the pass is an optimised eval pass and
    /// nothing needs the convolution's own output.
    func canFold(_ tap: TapRecorder, _ path: String) -> Bool {
        tap.optimized && !bn.isTraining && !tap.isWanted(path + convName) && tap.gradientsFrom != path + convName
    }

    /// conv followed by eval-mode bn, as one convolution with the folded weights, laid out as
    /// the pass lays out its activations (`tap.channelsLast`).
    func folded(_ x: Tensor, _ tap: TapRecorder) throws -> Tensor {
        let (weight, bias) = try foldCache.parameters(conv, bn, channelsLast: tap.channelsLast)
        return try Functional.conv2d(
            x, weight: weight, bias: bias, stride: conv.stride, padding: conv.padding,
            dilation: conv.dilation, groups: conv.groups)
    }
}

/// A residual block of either layout. Its tap names follow the layout: torchvision
/// `layer2.0.conv1`, `layer2.0.downsample.0`, `layer2.0`; Keras `conv3_block1_1_conv`, `conv3_block1_out`.
final class ResidualBlock: Module {
    let layout: ResNetLayout
    let units: [ConvBN]
    let shortcut: ConvBN?
    /// Name of the block's output (also the prefix of its parts).
    let name: String
    var isTraining = true

    init(spec: ResNetSpec, inChannels: Int, planes: Int, stride: Int, name: String) throws {
        layout = spec.layout
        self.name = name
        let eps = spec.batchNormEps
        let expansion = spec.block == .bottleneck ? 4 : 1
        let outC = planes * expansion
        let needsShortcut = stride != 1 || inChannels != outC
        switch (spec.layout, spec.block) {
        case (.torchvision, .basic):
            units = [
                try ConvBN(inChannels, planes, kernel: 3, stride: stride, padding: 1, bias: false, eps: eps, convName: "conv1", bnName: "bn1"),
                try ConvBN(planes, planes, kernel: 3, stride: 1, padding: 1, bias: false, eps: eps, convName: "conv2", bnName: "bn2")
            ]
        case (.torchvision, .bottleneck):
            units = [
                try ConvBN(inChannels, planes, kernel: 1, stride: 1, padding: 0, bias: false, eps: eps, convName: "conv1", bnName: "bn1"),
                try ConvBN(planes, planes, kernel: 3, stride: stride, padding: 1, bias: false, eps: eps, convName: "conv2", bnName: "bn2"),
                try ConvBN(planes, outC, kernel: 1, stride: 1, padding: 0, bias: false, eps: eps, convName: "conv3", bnName: "bn3")
            ]
        case (.keras, .bottleneck):
            units = [
                try ConvBN(inChannels, planes, kernel: 1, stride: stride, padding: 0, bias: true, eps: eps, convName: "_1_conv", bnName: "_1_bn"),
                try ConvBN(planes, planes, kernel: 3, stride: 1, padding: 1, bias: true, eps: eps, convName: "_2_conv", bnName: "_2_bn"),
                try ConvBN(planes, outC, kernel: 1, stride: 1, padding: 0, bias: true, eps: eps, convName: "_3_conv", bnName: "_3_bn")
            ]
        case (.keras, .basic):
            throw ModelError.invalidSpec("the Keras layout has bottleneck blocks only")
        }
        if needsShortcut {
            shortcut =
                spec.layout == .keras
                ? try ConvBN(inChannels, outC, kernel: 1, stride: stride, padding: 0, bias: true, eps: eps, convName: "_0_conv", bnName: "_0_bn")
                : try ConvBN(
                    inChannels, outC, kernel: 1, stride: stride, padding: 0, bias: false, eps: eps, convName: "downsample.0", bnName: "downsample.1")
        } else {
            shortcut = nil
        }
    }

    var children: [(String, any Module)] {
        var out: [(String, any Module)] = []
        let prefix = layout == .keras ? name : ""
        for u in units + (shortcut.map { [$0] } ?? []) {
            out.append((prefix + u.convName, u.conv))
            out.append((prefix + u.bnName, u.bn))
        }
        return out
    }

    func forward(_ x: Tensor, _ tap: TapRecorder) throws -> Tensor {
        layout == .keras ? try kerasForward(x, tap) : try torchvisionForward(x, tap)
    }

    private func torchvisionForward(_ x: Tensor, _ tap: TapRecorder) throws -> Tensor {
        let path = name + "."
        var y = x
        for (i, unit) in units.enumerated() {
            y = try unit(y, tap, path)
            if i < units.count - 1 { y = try tap("\(path)relu\(i + 1)", y.relu()) }
        }
        var identity = x
        if let shortcut { identity = try tap(path + "downsample", shortcut(x, tap, path)) }
        return try tap(name, (y + identity).relu())
    }

    /// Same arithmetic, evaluated in the order Keras lists the layers (`_0_conv`, `_3_conv`, `_0_bn`, `_3_bn`).
    private func kerasForward(_ x: Tensor, _ tap: TapRecorder) throws -> Tensor {
        var y = x
        for (i, unit) in units.dropLast().enumerated() {
            y = try tap("\(name)_\(i + 1)_relu", unit(y, tap, name).relu())
        }
        let last = units[units.count - 1]
        var identity = x
        let main: Tensor
        if last.canFold(tap, name), shortcut?.canFold(tap, name) ?? true {
            if let shortcut { identity = try tap(name + shortcut.bnName, shortcut.folded(x, tap)) }
            main = try tap(name + last.bnName, last.folded(y, tap))
        } else {
            let shortcutConv = try shortcut.map { try tap(name + $0.convName, $0.conv(x)) }
            let mainConv = try tap(name + last.convName, last.conv(y))
            if let shortcut, let shortcutConv { identity = try tap(name + shortcut.bnName, shortcut.bn(shortcutConv)) }
            main = try tap(name + last.bnName, last.bn(mainConv))
        }
        let added = try tap(name + "_add", main + identity)
        return try tap(name + "_out", added.relu())
    }
}
