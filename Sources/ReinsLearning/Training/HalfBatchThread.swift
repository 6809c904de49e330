import ReinsCore

#if canImport(Glibc)
import Glibc
#endif

/// A second thread that computes one half of each minibatch while the caller computes the other.
///
/// One handoff per optimiser step through two POSIX semaphores (which also order the memory
/// accesses on both sides); a futex wake costs microseconds against milliseconds of GEMMs. Not a
/// general pool: the fitter has exactly one job shape.
final class HalfBatchThread: @unchecked Sendable {
    private let startSignal = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let doneSignal = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private var job: (() -> Void)?
    private var thread: PosixThread?

    init() {
        sem_init(startSignal, 0, 0)
        sem_init(doneSignal, 0, 0)
        thread = PosixThread { [self] in
            while true {
                while sem_wait(startSignal) != 0 {}
                guard let job else { return }
                job()
                sem_post(doneSignal)
            }
        }
    }

    /// Starts `work` on the thread; call `wait()` before touching what it writes.
    func start(_ work: @escaping () -> Void) {
        job = work
        sem_post(startSignal)
    }

    func wait() {
        while sem_wait(doneSignal) != 0 {}
    }

    /// Ends and joins the thread (the thread holds a reference to self until then).
    func stop() {
        job = nil
        sem_post(startSignal)
        thread?.join()
        thread = nil
    }

    deinit {
        sem_destroy(startSignal)
        sem_destroy(doneSignal)
        startSignal.deallocate()
        doneSignal.deallocate()
    }
}
