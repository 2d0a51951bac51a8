// Analyzers module
