extension Model {
    /// Runs `body(i)` for every `i` in `0..<iterations` on the model's compute threads (the pool the
    /// forward and backward passes use), each thread taking every `threads`-th index; sequentially with one
    /// thread. For elementwise work beside the model's own, such as converting a batch of recorded layers
    /// for a dump, whose result does not depend on which thread ran which index.
    public func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        let parts = min(max(1, threads), iterations)
        Parallel.run(parts) { part in
            var i = part
            while i < iterations {
                body(i)
                i += parts
            }
        }
    }
}
