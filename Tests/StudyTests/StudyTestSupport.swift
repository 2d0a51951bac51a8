import Foundation
// Every file of StudyTests sees the shared helpers (runProcess, makeTemporaryFolder).
@_exported import LoupeTestSupport
