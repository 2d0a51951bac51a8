/// Per-sample facts of a batch of probe images, as the dump stores them under `/probe`.
public struct ProbeSamples: Sendable {
    public var images: [UInt8]          // B×H×W×C, before normalisation
    public var labels: [Int]
    public var ids: [String]
    public var meanRGB: [Float]         // B×3
    public var background: [Float]?     // B×3
    public var box: [Float]?            // B×4
    public var mask: [UInt8]?           // B×H×W

    public init(images: [UInt8], labels: [Int], ids: [String], meanRGB: [Float], background: [Float]? = nil,
                box: [Float]? = nil, mask: [UInt8]? = nil) {
        self.images = images
        self.labels = labels
        self.ids = ids
        self.meanRGB = meanRGB
        self.background = background
        self.box = box
        self.mask = mask
    }
}
