import Foundation

/// The limits and defaults of the web app. Every limit has a documented answer (docs/WEB.md):
/// a body over `maxUploadBytes` or an image over `maxPixels` gets 413, a full queue 503 with
/// `Retry-After`, a request that waits and runs longer than `requestTimeout` 504.
public struct ServerSettings: Sendable {
    /// Largest accepted request body (an uploaded image), in bytes.
    public var maxUploadBytes = 20 * 1024 * 1024
    /// Largest accepted image, in pixels (width times height), read from the header before decoding.
    public var maxPixels = 40_000_000
    /// Maps and boxes are computed at the image size scaled so that its longer side is at most
    /// this many pixels (smaller images are used as they are). The network sees the original image.
    public var maxMapSide = 1024
    /// Explain requests that may wait for the model while one runs. One more runs at a time.
    public var queueDepth = 8
    /// Seconds an explain request may wait for the model and run before it is answered 504.
    public var requestTimeout: Double = 30
    /// Most maps (methods times layers) one request may ask for.
    public var maxMaps = 12
    /// Explanations kept for re-rendering (`GET /api/results/{id}`), least recently used dropped first.
    public var cacheEntries = 256
    /// Re-renders and thumbnails that may run at once (each is a few milliseconds of CPU).
    public var maxLightRequests = 16
    /// Most samples one dataset page lists.
    public var maxPageSize = 200
    /// Largest thumbnail side.
    public var maxThumbnailSide = 512

    /// For tests: extra time each network job takes, to exercise queueing and timeouts.
    var simulatedWork: Duration?

    public init() {}
}
