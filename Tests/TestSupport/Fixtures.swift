import Foundation

/// Locates checked-in test fixtures under `Tests/Fixtures`.
public enum Fixtures {
    /// `Tests/Fixtures` in the source tree.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A fixture path such as `"foundation/ops.safetensors"`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// A fresh empty temporary directory.
    public static func temporaryDirectory(_ name: String = "camkit-test") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Largest absolute difference between two equally long arrays (infinity when lengths differ).
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}
