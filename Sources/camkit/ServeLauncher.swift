import ArgumentParser
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// `camkit serve`: runs the web app, which lives in its own executable (`camkit-serve`, next to
/// `camkit`) so that the CLI builds without the server stack.
struct ServeLauncher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a web page and a JSON API that explain a model's predictions (docs/WEB.md); see `camkit serve --help`.",
        shouldDisplay: true
    )

    @Argument(parsing: .allUnrecognized, help: "Options of camkit-serve (--model FILE [--dataset SPEC] [--host] [--port] ...).")
    var arguments: [String] = []

    @Flag(name: .customLong("help"), help: .hidden) var help = false

    func run() throws {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let server = me.deletingLastPathComponent().appendingPathComponent("camkit-serve")
        guard FileManager.default.isExecutableFile(atPath: server.path) else {
            FileHandle.standardError.write(
                Data(
                    "camkit: error: the web app is not built: \(server.path) is missing (run `make serve` or `swift build -c release --product camkit-serve`)\n"
                        .utf8))
            throw ExitCode.failure
        }
        let argv = [server.path] + arguments + (help ? ["--help"] : [])
        var cArgs = argv.map { strdup($0) } + [nil]
        execv(server.path, &cArgs)
        FileHandle.standardError.write(Data("camkit: error: could not start \(server.path): \(String(cString: strerror(errno)))\n".utf8))
        throw ExitCode.failure
    }
}
