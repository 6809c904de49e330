import ReinsCore

/// Tests use the project's own thread type for a second party running concurrently.
public typealias TestThread = PosixThread
