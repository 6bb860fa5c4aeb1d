// Package e2e holds the engine's end-to-end tests: the embedded Temporal server, the real
// worker registration, the real binaries and (as they arrive) the Graph simulator and the
// HR webhook, run together. It is the one test package that links the Temporal server.
package e2e
