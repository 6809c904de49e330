#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp for one test's files, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "reins-test") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        _ = TemporaryDirectory.removeTree(path)
    }

    /// Writes `text` to `name` (creating sub-folders) and returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let full = path + "/" + name
        var folder = ""
        for component in name.split(separator: "/").dropLast() {
            folder += (folder.isEmpty ? "" : "/") + component
            mkdir(path + "/" + folder, 0o755)
        }
        let file = fopen(full, "w")!
        fputs(text, file)
        fclose(file)
        return full
    }

    public func file(_ name: String) -> String { path + "/" + name }

    private static func removeTree(_ path: String) -> Int32 {
        guard let dir = opendir(path) else { return unlink(path) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            if lstat(child, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                _ = removeTree(child)
            } else {
                unlink(child)
            }
        }
        closedir(dir)
        return rmdir(path)
    }
}

/// The package root, found from this source file's location (tests read the shipped Robots/ files).
public let packageRoot: String = {
    var path = #filePath
    for _ in 0..<3 {
        if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) }
    }
    return path
}()

/// The folder holding the built products (`reins`, the test bundle) of this build.
public let productsDirectory: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    precondition(count > 0, "cannot read /proc/self/exe")
    let exe = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(exe[..<exe.lastIndex(of: "/")!])
}()
