import Glibc

/// Runs `body(worker)` for worker 0..<workers, on the calling thread (worker 0) and
/// `workers - 1` pthreads, and returns when all are done. If a thread cannot be created its
/// worker runs on the calling thread afterwards, so every worker always runs exactly once.
/// (The runtime links libc only: no Dispatch.) Used by explanations and textrnn_predict_batch.
@_spi(TextRNNInternal) public func runWorkers(_ workers: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Context: @unchecked Sendable {  // immutable after init
        let body: @Sendable (Int) -> Void
        let worker: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ worker: Int) {
            self.body = body
            self.worker = worker
        }
    }
    var threads: [pthread_t] = []
    var unstarted: [Int] = []
    for worker in 1..<max(workers, 1) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Context(body, worker)).toOpaque()
        let created = pthread_create(&thread, nil, { pointer in
            let context = Unmanaged<Context>.fromOpaque(pointer!).takeRetainedValue()
            context.body(context.worker)
            return nil
        }, context)
        if created == 0 {
            threads.append(thread)
        } else {
            Unmanaged<Context>.fromOpaque(context).release()
            unstarted.append(worker)
        }
    }
    body(0)
    for worker in unstarted { body(worker) }
    for thread in threads { pthread_join(thread, nil) }
}

/// Online CPUs (at least 1).
@_spi(TextRNNInternal) public func onlineProcessors() -> Int {
    max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
}
