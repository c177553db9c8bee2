import AuralSession
import Synchronization

/// Wakes long-polling `Lease` calls when a task of their stage becomes
/// runnable, instead of having them poll the database.
public final class TaskAvailability: Sendable {
    private struct Waiter {
        let id: UInt64
        let stage: PipelineStage
        let continuation: CheckedContinuation<Void, Never>
    }

    private let state = Mutex<(nextID: UInt64, waiters: [Waiter])>((0, []))

    public init() {}

    public func notify(_ stages: some Sequence<PipelineStage>) {
        let stages = Set(stages)
        guard !stages.isEmpty else { return }
        let woken = state.withLock { state -> [Waiter] in
            let (woken, rest) = (state.waiters.filter { stages.contains($0.stage) }, state.waiters.filter { !stages.contains($0.stage) })
            state.waiters = rest
            return woken
        }
        woken.forEach { $0.continuation.resume() }
    }

    /// Returns when `stage` is notified or `timeout` passes, whichever is first.
    func wait(for stage: PipelineStage, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.notified(stage) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func notified(_ stage: PipelineStage) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, stage: stage, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }
}
