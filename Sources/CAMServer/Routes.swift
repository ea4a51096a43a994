import CAMKit
import Foundation
import Hummingbird

/// The web app's routes. docs/WEB.md documents them; Public/openapi.json describes them.
///
/// ```
/// GET  /                                  the page (index.html, app.js, style.css)
/// GET  /openapi.json                      OpenAPI 3 document
/// GET  /api/health                        queue load
/// GET  /api/model                         model, methods, defaults, limits
/// GET  /api/layers                        tappable layers with shapes
/// GET  /api/colormaps                     OpenCV colour maps as RGB tables
/// POST /api/explain                       image bytes (or ?sample=N) -> predictions, maps, boxes, IoU
/// GET  /api/results/{id}                  re-render a cached explanation (normalisation, threshold)
/// GET  /api/dataset                       dataset name, size, classes
/// GET  /api/dataset/samples               one page of samples (offset, limit)
/// GET  /api/dataset/samples/{index}       one sample's annotation
/// GET  /api/dataset/samples/{index}/image       its image bytes
/// GET  /api/dataset/samples/{index}/thumbnail   a JPEG thumbnail (size)
/// ```
public enum CAMServer {
    public static let routeList: [(method: String, path: String)] = [
        ("GET", "/"), ("GET", "/app.js"), ("GET", "/style.css"), ("GET", "/openapi.json"),
        ("GET", "/api/health"), ("GET", "/api/model"), ("GET", "/api/layers"), ("GET", "/api/colormaps"),
        ("POST", "/api/explain"), ("GET", "/api/results/{id}"),
        ("GET", "/api/dataset"), ("GET", "/api/dataset/samples"), ("GET", "/api/dataset/samples/{index}"),
        ("GET", "/api/dataset/samples/{index}/image"), ("GET", "/api/dataset/samples/{index}/thumbnail")
    ]

    /// A router serving `service`.
    public static func router(_ service: CAMService) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())

        router.get("/") { _, _ in StaticAssets.response(.indexHTML) }
        router.get("/index.html") { _, _ in StaticAssets.response(.indexHTML) }
        router.get("/app.js") { _, _ in StaticAssets.response(.appJS) }
        router.get("/style.css") { _, _ in StaticAssets.response(.styleCSS) }
        router.get("/openapi.json") { _, _ in StaticAssets.response(.openAPI) }

        router.get("/api/health") { _, _ in try json(service.healthJSON, cache: false) }
        router.get("/api/model") { _, _ in try json(service.modelJSON) }
        router.get("/api/layers") { _, _ in try json(service.layersJSON) }
        router.get("/api/colormaps") { _, _ in
            try json(ColormapsJSON(default: "jet", colormaps: CAMService.colorMapTables))
        }

        router.post("/api/explain") { request, _ in
            try json(await explain(request, service), cache: false)
        }
        router.get("/api/results/:id") { request, context in
            let query = Query(request.uri.queryParameters)
            try CAMService.checkKeys(query, allowed: CAMService.renderKeys)
            let id = context.parameters.get("id") ?? ""
            return try json(await service.rerender(id: id, parameters: service.renderParameters(query)), cache: false)
        }

        router.get("/api/dataset") { _, _ in
            let d = try service.requireDataset()
            return try json(DatasetJSON(name: d.name, count: d.count, classNames: d.classNames))
        }
        router.get("/api/dataset/samples") { request, _ in
            try json(service.samplePage(Query(request.uri.queryParameters)))
        }
        router.get("/api/dataset/samples/:index") { _, context in
            let (index, sample) = try service.sample(context.parameters.get("index"))
            return try json(CAMService.sampleJSON(index, sample))
        }
        router.get("/api/dataset/samples/:index/image") { _, context in
            let (_, sample) = try service.sample(context.parameters.get("index"))
            return try await service.imageResponse(sample)
        }
        router.get("/api/dataset/samples/:index/thumbnail") { request, context in
            let (index, sample) = try service.sample(context.parameters.get("index"))
            return try await service.thumbnailResponse(index: index, sample: sample, query: Query(request.uri.queryParameters))
        }
        return router
    }

    /// The application bound to `host:port` (loopback unless told otherwise).
    public static func application(
        _ service: CAMService, host: String = "127.0.0.1", port: Int = 8080,
        idleTimeout: Duration = .seconds(60),
        onRunning: @escaping @Sendable (_ port: Int?) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(service),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeout.seconds)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "camkit"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port) })
    }

    static func explain(_ request: Request, _ service: CAMService) async throws -> ExplainResponseJSON {
        let query = Query(request.uri.queryParameters)
        let parameters = try service.explainParameters(query)
        let limit = service.settings.maxUploadBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError(.contentTooLarge, "upload_too_large", "the body is \(declared) bytes; at most \(limit) bytes are accepted")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "upload_too_large", "the body is larger than \(limit) bytes, the most accepted")
        }
        let data = Data(body.readableBytesView)

        if let sampleText = CAMService.value(query, "sample") {
            guard data.isEmpty else {
                throw APIError.badParameter("give either an image in the body or ?sample=INDEX, not both")
            }
            guard CAMService.value(query, "truth") == nil else {
                throw APIError.badParameter("truth= is for uploads; a dataset sample brings its own boxes")
            }
            let (index, sample) = try service.sample(sampleText)
            let info = CAMService.sampleJSON(index, sample)
            return try await service.explain(.sample(sample), parameters: parameters, sample: info, truth: sample.boxes)
        }
        var truth: [BoundingBox] = []
        if let t = CAMService.value(query, "truth") {
            truth = try CAMService.parseTruth(t)
        }
        try service.checkUpload(data)
        return try await service.explain(.upload(data), parameters: parameters, sample: nil, truth: truth)
    }
}

/// `GET /api/colormaps`: each OpenCV colour map as 256 RGB triples, flattened `[r, g, b, r, g, b, ...]`.
struct ColormapsJSON: Encodable, Sendable {
    var `default`: String
    var colormaps: [String: [UInt8]]
}

/// A JSON response; `cache: true` lets browsers keep it for a minute (static facts).
func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, cache: Bool = true) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    let data = try encoder.encode(value)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: cache ? "max-age=60" : "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
