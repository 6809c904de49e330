import ArgumentParser
import ReinsConfig
import ReinsDrivers
#if canImport(Glibc)
import Glibc
#endif

/// Loads a robot description; on failure prints one line per problem (and `hint`, if any) and
/// exits with `exitCode`.
func loadRobot(_ path: String, calibrationRequired: Bool = true, exitCode: Int32, hint: String? = nil) throws -> RobotDescription {
    do {
        return try RobotDescription.load(path: path, calibrationRequired: calibrationRequired)
    } catch {
        for diagnostic in error.diagnostics { printError(diagnostic.description) }
        if let hint { printError(hint) }
        throw ExitCode(exitCode)
    }
}

/// Prints `message` on standard error and gives the exit status for bad input (2) to throw.
func badInput(_ message: String) -> ExitCode {
    printError(message)
    return ExitCode(RunExit.badInput)
}

/// Writes a line to standard error (problems), keeping standard output for results.
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

/// A line of a safe stop's progress on standard error, e.g. "safe stop: waiting for LAND
/// acknowledgement from ...", so a long wait on the robot is never silent.
func printSafeStopProgress(_ line: String) {
    printError("safe stop: " + line)
}

/// What the driver had to accept at connect and configure (e.g. a refused telemetry rate and the
/// rate the robot really streams at), on standard error before the run starts.
func printDriverWarnings(_ driver: any RobotDriver) {
    for warning in driver.health.configurationWarnings { printError("warning: \(driver.deviceName): \(warning)") }
}

/// Microseconds with one decimal from nanoseconds, for latency tables.
func microseconds(_ nanoseconds: UInt64) -> String {
    let tenths = (nanoseconds + 50) / 100
    return "\(tenths / 10).\(tenths % 10) µs"
}

/// Whether two paths name the same existing file (links and path spellings resolved).
func sameFile(_ a: String, _ b: String) -> Bool {
    var first = stat(), second = stat()
    return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
}
