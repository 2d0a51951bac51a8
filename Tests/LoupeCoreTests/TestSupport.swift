import Foundation
import LoupeCore
// Every file of this test target sees the shared helpers (runProcess, makeTemporaryFolder, safetensorsData).
@_exported import LoupeTestSupport

/// Debian's Python with python3-h5py: the independent reader files are checked against.
let systemPython = "/usr/bin/python3"
