import ArgumentParser
import ReinsCore
import ReinsTransport

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and show ZeroMQ CURVE keys for authenticated remote control.",
        discussion: """
            Remote control channels are CURVE-encrypted and accept only operators whose public key \
            is on the robot's allow-list. Give each operator a key pair with `reins keys new NAME`, \
            keep NAME.key_secret private, and put NAME.key on the robot's allow-list.
            """,
        subcommands: [New.self, Show.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: NAME.key (public) and NAME.key_secret (mode 0600).",
            discussion: "The files use the certificate format of czmq and pyzmq (zmq.auth.load_certificate reads them).")

        @Argument(help: "Name of the operator or robot the keys belong to (letters, digits, - and _).")
        var name: String

        @Option(name: .shortAndLong, help: "Folder to write the files into.")
        var directory: String = "."

        @Flag(help: "Replace existing files with the same name.")
        var force = false

        func validate() throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw ValidationError("NAME may contain letters, digits, - and _ only, e.g. `reins keys new operator-1`")
            }
        }

        func run() throws {
            let publicFile = directory + "/" + name + ".key"
            for file in [publicFile, publicFile + "_secret"] {
                _ = try outputFile(file, kind: .curveKey, option: "NAME", inputs: [], force: force)
            }
            let pair = try CurveKeyPair.generate()
            let files = try CurveCertificate.write(pair, name: name, directory: directory)
            print("public key  \(pair.publicKey)")
            print("wrote \(files.publicFile) (share it) and \(files.secretFile) (keep it private, mode 0600)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the public key of a certificate file.")

        @Argument(help: "A NAME.key or NAME.key_secret file.")
        var file: String

        func run() throws {
            do {
                print(try CurveCertificate.read(file).publicKey)
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
    }
}
