package report

import (
	"os"
	"strings"
)

// Environment variables the engine's binaries read for the report.
const (
	// EnvToken is the credential the page requires (Bearer token or basic-auth password);
	// without it the page is served only on a loopback address.
	EnvToken = "LIFECYCLE_REPORT_TOKEN"
	// EnvUIURL is the Temporal Web UI's base URL the page links workflows to.
	EnvUIURL = "LIFECYCLE_TEMPORAL_UI_URL"
)

// Engine builds the report the way the worker (dev mode) and `starter serve` mount it:
// entities from Temporal visibility in namespace, the audit store and HR source when given
// (pass untyped nil, not a nil pointer, to leave one out), workflow links to the Temporal UI
// ($LIFECYCLE_TEMPORAL_UI_URL, else defaultUI), the access rule of the listen address and
// the token in $LIFECYCLE_REPORT_TOKEN. More options (WithLocation, ...) follow.
func Engine(c TemporalClient, namespace string, store Audit, src HR, listenAddr, defaultUI string, opts ...Option) *Handler {
	ui := strings.TrimSpace(os.Getenv(EnvUIURL))
	if ui == "" {
		ui = defaultUI
	}
	base := []Option{WithListenAddr(listenAddr), WithToken(os.Getenv(EnvToken)), WithTemporalUI(ui, namespace)}
	var ents Entities
	if c != nil {
		ents = &Temporal{Client: c, Namespace: namespace}
	}
	return New(Sources{Entities: ents, Audit: store, HR: src}, append(base, opts...)...)
}
