public enum CAMKitVersion { public static let string = "0.1.0" }
