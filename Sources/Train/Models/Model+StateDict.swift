import LoupeCore

extension Model {
    /// Parameters and buffers under their torchvision keys, in torchvision `state_dict()` order.
    /// `num_batches_tracked` is a shape-`[]` tensor holding an integer value.
    public func stateDict() -> [(String, Tensor)] {
        stateEntries.map { ($0.name, $0.tensor) }
    }

    /// Keys whose values are integers in PyTorch (int64 `num_batches_tracked`).
    public var integerStateKeys: Set<String> { Set(buffers.filter(\.isInteger).map(\.name)) }

    /// Loads weights and buffers by torchvision key; keys starting with one of `prefixes` are ignored on
    /// both sides (e.g. `["fc."]` to take a backbone and keep this model's head).
    ///
    /// Shapes must match (a one-element tensor fits a shape-`[]` slot). A missing `num_batches_tracked`
    /// is set to 0, as PyTorch does for old checkpoints. With `strict`, missing and unexpected keys are
    /// errors too. Nothing is changed unless everything fits.
    /// - Throws: `LoupeError.invalidInput` listing missing keys, unexpected keys and shape mismatches.
    public func load(stateDict: [String: Tensor], strict: Bool = true, skipping prefixes: [String] = []) throws {
        let skipped = { (key: String) in prefixes.contains { key.hasPrefix($0) } }
        let entries = stateEntries.filter { !skipped($0.name) }
        var missing: [String] = [], mismatched: [String] = []
        var assignments: [(StateEntry, Tensor)] = []
        for entry in entries {
            guard let t = stateDict[entry.name] else {
                if case .buffer(let b) = entry, b.isInteger {
                    assignments.append((entry, Tensor(shape: b.value.shape)))
                } else {
                    missing.append(entry.name)
                }
                continue
            }
            let expected = entry.tensor.shape
            if t.shape == expected || (t.count == 1 && expected.reduce(1, *) == 1) {
                assignments.append((entry, t.shape == expected ? t : t.reshaped(expected)))
            } else {
                mismatched.append("\(entry.name): expected \(expected), found \(t.shape)")
            }
        }
        let own = Set(stateEntries.map(\.name))
        let unexpected = stateDict.keys.filter { !own.contains($0) && !skipped($0) }.sorted()
        if !mismatched.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            var parts: [String] = []
            if !mismatched.isEmpty { parts.append(Model.list(mismatched, "shape mismatch", "shape mismatches")) }
            if strict && !missing.isEmpty { parts.append(Model.list(missing, "missing key", "missing keys")) }
            if strict && !unexpected.isEmpty { parts.append(Model.list(unexpected, "unexpected key", "unexpected keys")) }
            throw LoupeError.invalidInput("state dict does not fit \(name) (\(numClasses) classes, \(inputChannels) input channels): "
                                          + parts.joined(separator: "; "))
        }
        for (entry, t) in assignments {
            switch entry {
            case .parameter(let p): p.value = t
            case .buffer(let b): b.value = t
            }
        }
    }

    private static func list(_ items: [String], _ one: String, _ many: String) -> String {
        let shown = items.prefix(12).joined(separator: ", ")
        let more = items.count > 12 ? " … and \(items.count - 12) more" : ""
        return "\(items.count) \(items.count == 1 ? one : many): \(shown)\(more)"
    }
}
