import Foundation
import Hummingbird

/// The page and the OpenAPI document, compiled into the binary (SwiftPM `embedInCode`): the
/// server needs no files beside it, no CDN and no build step.
enum StaticAssets {
    enum Asset: CaseIterable {
        case indexHTML, appJS, styleCSS, openAPI

        var bytes: [UInt8] {
            switch self {
            case .indexHTML: PackageResources.index_html
            case .appJS: PackageResources.app_js
            case .styleCSS: PackageResources.style_css
            case .openAPI: PackageResources.openapi_json
            }
        }

        var contentType: String {
            switch self {
            case .indexHTML: "text/html; charset=utf-8"
            case .appJS: "text/javascript; charset=utf-8"
            case .styleCSS: "text/css; charset=utf-8"
            case .openAPI: "application/json; charset=utf-8"
            }
        }
    }

    /// The OpenAPI 3 document served at `/openapi.json`.
    static var openAPIDocument: Data { Data(Asset.openAPI.bytes) }

    static func response(_ asset: Asset) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .cacheControl: "no-cache",
                .init("X-Content-Type-Options")!: "nosniff"
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
