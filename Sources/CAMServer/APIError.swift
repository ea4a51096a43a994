import CAMKit
import Foundation
import Hummingbird

/// An error the API answers with: an HTTP status and a JSON body
/// `{"error": {"status": 400, "code": "unknown_layer", "message": "...", "valid": [...]}}`.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable machine-readable code (documented in docs/WEB.md and openapi.json).
    public var code: String
    /// What went wrong, in words a user can act on.
    public var message: String
    /// The accepted values, where the error is an unknown name.
    public var valid: [String]?
    /// Seconds to wait before retrying (sent as `Retry-After`), for 503.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, valid: [String]? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.valid = valid
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func badParameter(_ message: String, valid: [String]? = nil) -> APIError {
        APIError(.badRequest, "bad_parameter", message, valid: valid)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    struct Body: Codable {
        struct Detail: Codable {
            var status: Int
            var code: String
            var message: String
            var valid: [String]?
            var retryAfter: Int?
        }
        var error: Detail
    }

    /// `message` with every absolute path cut to its last component, for 5xx answers: the server's own
    /// failures must not show clients its folder layout (client errors name what the client sent).
    var publicMessage: String {
        guard status.code >= 500 else { return message }
        return Self.absolutePath.stringByReplacingMatches(
            in: message, range: NSRange(message.startIndex..., in: message), withTemplate: "…/$1")
    }

    /// A path of two or more components after a space, quote, parenthesis or the start; $1 is its last one.
    private static let absolutePath = try! NSRegularExpression(pattern: #"(?<=^|[\s'"(=])(?:/[^/\s'"():]+)+/([^/\s'"():]+)"#)

    /// The JSON response.
    func response() -> Response {
        let body = Body(error: .init(status: status.code, code: code, message: publicMessage, valid: valid, retryAfter: retryAfter))
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let data =
            (try? JSONEncoder().encode(body)) ?? Data("{\"error\":{\"status\":500,\"code\":\"internal\",\"message\":\"encoding failed\"}}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The status that answers an error of this kind.
    static func status(_ kind: ErrorKind) -> HTTPResponse.Status {
        switch kind {
        case .badInput: .badRequest
        case .tooLarge: .contentTooLarge
        case .unprocessable: .unprocessableContent
        case .notFound: .notFound
        case .internal: .internalServerError
        }
    }

    /// The API's answer to any error thrown while handling a request.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as WorkerError:
            switch e {
            case let .queueFull(retryAfter):
                return APIError(
                    .serviceUnavailable, "queue_full",
                    "the model is busy and its queue is full; retry in \(retryAfter) s", retryAfter: retryAfter)
            case let .timedOut(seconds):
                return APIError(
                    .gatewayTimeout, "timeout",
                    "the explanation did not finish within the server's request timeout of \(formatSeconds(seconds)) s")
            case .stopped:
                return APIError(.serviceUnavailable, "stopping", "the server is shutting down", retryAfter: 5)
            }
        case let e as any UserFacingError:
            return APIError(status(e.errorKind), e.errorCode, e.description, valid: e.validValues)
        default:
            return APIError(.internalServerError, "internal", "\(error)")
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int(s)) : String(format: "%.2f", s)
}

/// Turns every error thrown below it into the API's JSON error body, and unmatched routes into
/// a JSON 404.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return APIError(.notFound, "not_found", "no route for \(request.method) \(request.uri.path)").response()
        } catch let error as HTTPError {
            return APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase).response()
        } catch {
            return APIError.from(error).response()
        }
    }
}
