import ReinsCore
import Testing

@Suite struct FilePathTests {
    @Test func resolvesReferencesBesideTheReferringFile() {
        #expect(FilePath.resolve("../Calibration/arm.yaml", besideFile: "Robots/arm.yaml") == "Calibration/arm.yaml")
        #expect(FilePath.resolve("cal.yaml", besideFile: "arm.yaml") == "cal.yaml")
        #expect(FilePath.resolve("/etc/cal.yaml", besideFile: "Robots/arm.yaml") == "/etc/cal.yaml")
        #expect(FilePath.resolve("../../x.yaml", besideFile: "a/arm.yaml") == "../x.yaml")
        #expect(FilePath.normalize("/a/./b/../c") == "/a/c")
    }

    @Test func readErrorsNameThePathAndTheReason() {
        do {
            _ = try FileBytes.read("/nonexistent/reins.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot open /nonexistent/reins.yaml: No such file or directory")
        }
    }
}
