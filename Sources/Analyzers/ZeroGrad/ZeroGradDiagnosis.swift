import Foundation
import LoupeCore

/// One explanation of zero, vanishing, non-finite or missing gradients, with its evidence and the fix.
public struct ZeroGradDiagnosis: Sendable {
    /// `verdict` (Healthy), `cause` (explains affected observations) or `note` (explains none).
    public enum Kind: String, Sendable { case verdict, cause, note }

    public var id: String
    public var title: String
    public var kind: Kind
    /// Share of the affected layer-samples this cause explains (0…1; 0 for notes, 1 for Healthy).
    public var score: Double
    /// Affected layer-samples explained, and affected in all.
    public var explained: Int
    public var affected: Int
    public var evidence: [String]
    public var fix: String

    var json: JSONValue {
        .object([("id", .string(id)), ("title", .string(title)), ("kind", .string(kind.rawValue)), ("score", .double(score)),
                 ("explained", .int(explained)), ("affected", .int(affected)), ("evidence", .strings(evidence)), ("fix", .string(fix))])
    }
}
