import CAMKit
import Foundation

/// Why the worker did not run a job.
public enum WorkerError: Error, Sendable, Equatable {
    /// Every slot is taken (one running, `queueDepth` waiting); retry after about this many seconds.
    case queueFull(retryAfter: Int)
    /// The job waited and ran longer than the timeout (seconds).
    case timedOut(Double)
    /// The worker was stopped.
    case stopped
}

/// What only the worker thread touches: the model and its explainer. Forward passes with
/// autograd are not safe to run concurrently on one model, so every network pass of the server
/// happens here, one at a time.
final class ModelContext {
    let loaded: LoadedModel
    let explainer: Explainer

    init(_ loaded: LoadedModel) {
        self.loaded = loaded
        self.explainer = Explainer(model: loaded.model)
    }
}

/// Admission plus a serial executor on a dedicated thread (not Swift's cooperative pool, which
/// blocking libtorch calls would starve).
///
/// A request first takes a slot (`admit`): at most `queueDepth + 1` requests hold one (one
/// running, the rest waiting), others get `WorkerError.queueFull` at once. A slot is held until
/// the request's response is built, so rendering after the pass is bounded too. Jobs run in
/// arrival order; a job whose deadline passes while it waits is answered `timedOut` and never
/// runs; one that passes its deadline while running is answered `timedOut` at the deadline and its
/// result dropped when the pass ends (a libtorch call cannot be interrupted).
final class ModelWorker: @unchecked Sendable {
    let capacity: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [WorkItem] = []
    private var admitted = 0
    private var running = false
    private var stopped = false
    private var averageJobSeconds = 0.5
    private var completedJobs = 0

    private let simulatedWork: Duration?

    /// Takes ownership of `model`: nothing else may use it afterwards.
    init(model: LoadedModel, queueDepth: Int, simulatedWork: Duration? = nil) {
        capacity = max(1, queueDepth + 1)
        self.simulatedWork = simulatedWork
        let box = UncheckedBox(model)
        let thread = Thread { [self] in self.loop(ModelContext(box.value)) }
        thread.name = "camkit-model"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// A slot for one request; release it with `release()` when the response is built.
    func admit() throws {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { throw WorkerError.stopped }
        guard admitted < capacity else {
            // Every admitted request is ahead of a new one: about that many average jobs.
            let estimate = Double(admitted) * averageJobSeconds
            throw WorkerError.queueFull(retryAfter: max(1, min(120, Int(estimate.rounded(.up)))))
        }
        admitted += 1
    }

    func release() {
        condition.lock()
        admitted = max(0, admitted - 1)
        condition.unlock()
    }

    /// Jobs that ran (not counting those answered `timedOut` before they started).
    var jobsRun: Int {
        condition.lock()
        defer { condition.unlock() }
        return completedJobs
    }

    /// Load now: admitted requests, whether a job is running, jobs waiting.
    var load: (admitted: Int, running: Bool, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (admitted, running, queue.count)
    }

    /// Runs `body` on the worker thread after the jobs ahead of it, within `timeout` seconds of now.
    /// Returns the result with the time spent waiting and running.
    func run<T: Sendable>(timeout: Double, _ body: @escaping @Sendable (ModelContext) throws -> T) async throws
        -> (value: T, waited: Double, ran: Double)
    {
        let item = WorkItem(timeout: timeout) { context in try body(context) }
        let outcome = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WorkItem.Outcome, any Error>) in
            item.attach(continuation)
            condition.lock()
            if stopped {
                condition.unlock()
                item.finish(.failure(WorkerError.stopped))
                return
            }
            queue.append(item)
            condition.signal()
            condition.unlock()
            item.startTimer()
        }
        guard let value = outcome.value as? T else { throw WorkerError.stopped }
        return (value, outcome.waited, outcome.ran)
    }

    /// Stops the thread after the running job; waiting jobs are answered `stopped`.
    func stop() {
        condition.lock()
        stopped = true
        let dropped = queue
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
        for item in dropped { item.finish(.failure(WorkerError.stopped)) }
    }

    private func loop(_ context: ModelContext) {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if stopped { condition.unlock(); return }
            let item = queue.removeFirst()
            running = true
            condition.unlock()

            if item.begin() {
                let start = ContinuousClock.now
                if let simulatedWork { Thread.sleep(forTimeInterval: simulatedWork.seconds) }
                let result = Result { try item.body(context) }
                let ran = (ContinuousClock.now - start).seconds
                item.finish(result.map { WorkItem.Outcome(value: $0, waited: item.waited, ran: ran) })
                condition.lock()
                completedJobs += 1
                // A running mean over the last ~10 jobs, for Retry-After.
                averageJobSeconds += (ran - averageJobSeconds) / Double(min(completedJobs, 10))
                condition.unlock()
            }
            condition.lock()
            running = false
            condition.unlock()
        }
    }
}

/// One job: its continuation is resumed exactly once, by the worker or by the timer.
final class WorkItem: @unchecked Sendable {
    struct Outcome: @unchecked Sendable {
        var value: any Sendable
        var waited: Double
        var ran: Double
    }

    let body: (ModelContext) throws -> any Sendable
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Outcome, any Error>?
    private var timer: Task<Void, Never>?
    private let timeout: Double
    private let created = ContinuousClock.now
    private(set) var waited = 0.0

    init(timeout: Double, body: @escaping (ModelContext) throws -> any Sendable) {
        self.timeout = timeout
        self.body = body
    }

    func attach(_ c: CheckedContinuation<Outcome, any Error>) {
        lock.lock()
        continuation = c
        lock.unlock()
    }

    func startTimer() {
        let timeout = self.timeout
        let task = Task { [weak self] in
            try? await Task.sleep(for: .seconds(timeout))
            if Task.isCancelled { return }
            self?.finish(.failure(WorkerError.timedOut(timeout)))
        }
        lock.lock()
        if continuation == nil { task.cancel() } else { timer = task }
        lock.unlock()
    }

    /// Called by the worker before running: false when the job already timed out.
    func begin() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        waited = (ContinuousClock.now - created).seconds
        return continuation != nil
    }

    func finish(_ result: Result<Outcome, any Error>) {
        lock.lock()
        let c = continuation
        continuation = nil
        let t = timer
        timer = nil
        lock.unlock()
        t?.cancel()
        c?.resume(with: result)
    }
}

/// Moves a non-Sendable value to the one thread that will own it.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
