/// Perceptually uniform colormaps from their published lookup tables (see Colormap+Tables.swift).
public enum Colormap: String, Sendable, CaseIterable {
    case viridis, inferno

    var table: [Float] {
        switch self {
        case .viridis: Colormap.viridisTable
        case .inferno: Colormap.infernoTable
        }
    }

    /// The colour at `t` in [0, 1] (clamped), linearly interpolated between table entries; NaN → gray.
    public func color(_ t: Double) -> RGB {
        guard t.isFinite else { return RGB(0.6, 0.6, 0.6) }
        let x = min(max(t, 0), 1) * 255
        let i = min(Int(x), 254)
        let f = Float(x - Double(i))
        let tab = table
        return RGB(tab[3 * i] * (1 - f) + tab[3 * i + 3] * f,
                   tab[3 * i + 1] * (1 - f) + tab[3 * i + 4] * f,
                   tab[3 * i + 2] * (1 - f) + tab[3 * i + 5] * f)
    }
}

/// A colour with components in [0, 1].
public struct RGB: Sendable, Equatable {
    public var r: Float
    public var g: Float
    public var b: Float

    public init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `#1f77b4`.
    public init(hex: String) {
        let v = UInt32(hex.dropFirst(hex.hasPrefix("#") ? 1 : 0), radix: 16) ?? 0
        self.init(Float((v >> 16) & 0xFF) / 255, Float((v >> 8) & 0xFF) / 255, Float(v & 0xFF) / 255)
    }

    public var hex: String {
        func byte(_ x: Float) -> Int { Int((min(max(x, 0), 1) * 255).rounded()) }
        return "#" + [r, g, b].map { String(format: "%02x", byte($0)) }.joined()
    }

    /// Relative luminance, to choose black or white text on top of this colour.
    public var luminance: Float { 0.2126 * r + 0.7152 * g + 0.0722 * b }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(1, 1, 1)
    public static let gray = RGB(0.5, 0.5, 0.5)
}

/// Categorical colours: matplotlib's tab10, then tab20 for more than ten categories.
public enum Palette {
    static let tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let tab20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
                        "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5"]

    /// Hex colours for `count` categories (tab10 up to ten, tab20 up to twenty, then repeating).
    public static func hexColors(count: Int) -> [String] {
        let base = count <= 10 ? tab10 : tab20
        return (0..<max(count, 1)).map { base[$0 % base.count] }
    }

    public static func colors(count: Int) -> [RGB] { hexColors(count: count).map { RGB(hex: $0) } }
}
