import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// One child process of `aural up`: what to run, and how it is doing.
struct ChildSpec: Sendable {
    let name: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
}

/// Runs the stack's processes as children: prefixes each output line with
/// the child's name, restarts a child that dies (1 s, 2 s, 4 s … up to 30 s
/// apart), gives up — stopping everything — when one crashes `maxCrashes`
/// times within `crashWindow`, and on shutdown sends SIGTERM to all and
/// SIGKILL to those still running after `stopTimeout`.
final class Supervisor: Service, Sendable {
    struct GaveUp: Error, CustomStringConvertible {
        let name: String
        let crashes: Int
        var description: String { "\(name) crashed \(crashes) times in a row; giving up" }
    }

    private struct Running {
        var process: Process?
        var crashes: [ContinuousClock.Instant] = []
    }

    let children: [ChildSpec]
    let maxCrashes: Int
    let crashWindow: Duration
    let stopTimeout: Duration
    private let logger: Logger
    private let state: Mutex<[String: Running]>
    private let stopping = Atomic<Bool>(false)
    private let failure = Mutex<GaveUp?>(nil)
    private let output = LinePrefixer()

    init(children: [ChildSpec], maxCrashes: Int = 5, crashWindow: Duration = .seconds(60), stopTimeout: Duration = .seconds(15), logger: Logger) {
        self.children = children
        self.maxCrashes = maxCrashes
        self.crashWindow = crashWindow
        self.stopTimeout = stopTimeout
        self.logger = logger
        state = Mutex(Dictionary(uniqueKeysWithValues: children.map { ($0.name, Running()) }))
    }

    func run() async throws {
        for child in children { try start(child) }
        // Wait for Ctrl-C/SIGTERM, or for a child that keeps crashing.
        await withGracefulShutdownHandler {
            while !Task.isCancelled, failure.withLock({ $0 }) == nil, !stopping.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
        stopping.store(true, ordering: .relaxed)
        await stopAll()
        if let failure = failure.withLock({ $0 }) { throw failure }
    }

    /// The pid of a running child (tests and `aural status` use it).
    func pid(of name: String) -> Int32? {
        state.withLock { $0[name]?.process.map(\.processIdentifier) }
    }

    private func start(_ child: ChildSpec) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: child.executable)
        process.arguments = child.arguments
        process.environment = child.environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.write(data, prefix: child.name) }
        }
        process.terminationHandler = { [weak self] process in
            self?.exited(child, status: process.terminationStatus, reason: process.terminationReason)
        }
        try process.run()
        state.withLock { $0[child.name]?.process = process }
        logger.info("started", metadata: ["child": "\(child.name)", "pid": "\(process.processIdentifier)"])
    }

    private func exited(_ child: ChildSpec, status: Int32, reason: Process.TerminationReason) {
        guard !stopping.load(ordering: .relaxed) else { return }
        let now = ContinuousClock.now
        let crashes = state.withLock { state -> Int in
            state[child.name]?.process = nil
            state[child.name]?.crashes.append(now)
            state[child.name]?.crashes.removeAll { now - $0 > crashWindow }
            return state[child.name]?.crashes.count ?? 0
        }
        let how = reason == .uncaughtSignal ? "was killed by signal \(status)" : "exited with status \(status)"
        guard crashes < maxCrashes else {
            logger.critical("\(child.name) \(how) \(crashes) times within \(crashWindow); giving up and stopping the stack")
            failure.withLock { $0 = GaveUp(name: child.name, crashes: crashes) }
            return
        }
        let delay = Duration.seconds(min(30, 1 << (crashes - 1)))
        logger.error("\(child.name) \(how); restarting in \(delay)")
        Task {
            try? await Task.sleep(for: delay)
            guard !self.stopping.load(ordering: .relaxed) else { return }
            do { try self.start(child) } catch {
                self.logger.error("could not restart \(child.name): \(error)")
            }
        }
    }

    /// SIGTERM in reverse start order (the Edge first, SessionService last), then SIGKILL stragglers.
    private func stopAll() async {
        let processes = state.withLock { state in children.reversed().compactMap { state[$0.name]?.process } }
        for process in processes where process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + stopTimeout
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for process in processes where process.isRunning {
            logger.warning("killing a child that did not stop", metadata: ["pid": "\(process.processIdentifier)"])
            kill(process.processIdentifier, SIGKILL)
        }
    }
}

/// Writes children's output line by line, each prefixed with its name, so
/// interleaved logs stay readable.
final class LinePrefixer: Sendable {
    private let partial = Mutex<[String: Data]>([:])

    func write(_ data: Data, prefix: String) {
        let lines: [Data] = partial.withLock { partial in
            var buffer = (partial[prefix] ?? Data()) + data
            var complete: [Data] = []
            while let newline = buffer.firstIndex(of: 0x0A) {
                complete.append(buffer[buffer.startIndex...newline])
                buffer = Data(buffer[buffer.index(after: newline)...])
            }
            partial[prefix] = buffer
            return complete
        }
        let label = Data(prefix.padding(toLength: 20, withPad: " ", startingAt: 0).utf8) + Data("| ".utf8)
        for line in lines { FileHandle.standardOutput.write(label + line) }
    }
}
