import ArgumentParser
import ReinsConfig
import ReinsCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate robot descriptions and calibration files.",
        discussion: """
            Each FILE is a robot description (Robots/*.yaml), which is checked together with the \
            calibration file it names, or a calibration file on its own (Calibration/*.yaml). \
            Prints one line per problem as FILE:LINE:COLUMN: KEY: PROBLEM; SUGGESTION and exits \
            non-zero if any file has a problem.
            """)

    @Argument(help: "Robot description or calibration files.", completion: .file(extensions: ["yaml", "yml"]))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file, e.g. `reins check Robots/*.yaml`") }
    }

    func run() throws {
        var failed = 0
        for file in files {
            switch ConfigFile.check(file) {
            case .success(let summary):
                print("ok  \(file): \(summary)")
            case .failure(let errors):
                failed += 1
                for diagnostic in errors.diagnostics {
                    printError(diagnostic.description)
                }
            }
        }
        if failed > 0 {
            printError("\(failed) of \(files.count) file\(files.count == 1 ? "" : "s") failed the check")
            throw ExitCode(1)
        }
    }
}
