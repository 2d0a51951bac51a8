// STUB: replaced by the analyzers-math branch
import LoupeCore

public enum CKA {
    public static func linear(_ x: [Float], _ y: [Float], n: Int, dx: Int, dy: Int) -> Double { 0 }
}
