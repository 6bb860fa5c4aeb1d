package report

import "strings"

// EngineSettings are the report's settings as the binaries read them from the environment
// (LIFECYCLE_REPORT_TOKEN, LIFECYCLE_TEMPORAL_UI_URL).
type EngineSettings struct {
	// Token is the credential the page requires (Bearer token or basic-auth password);
	// without it the page is served only on a loopback address.
	Token string
	// UIURL is the Temporal Web UI's base URL the page links workflows to; empty: defaultUI.
	UIURL string
}

// Engine builds the report the way the worker (dev mode) and `starter serve` mount it:
// entities from Temporal visibility in namespace, the audit store and HR source when given
// (pass untyped nil, not a nil pointer, to leave one out), workflow links to the Temporal UI
// (set.UIURL, else defaultUI), the access rule of the listen address and set.Token. More
// options (WithLocation, ...) follow.
func Engine(c TemporalClient, namespace string, store Audit, src HR, listenAddr, defaultUI string, set EngineSettings, opts ...Option) *Handler {
	ui := strings.TrimSpace(set.UIURL)
	if ui == "" {
		ui = defaultUI
	}
	base := []Option{WithListenAddr(listenAddr), WithToken(set.Token), WithTemporalUI(ui, namespace)}
	var ents Entities
	if c != nil {
		ents = &Temporal{Client: c, Namespace: namespace}
	}
	return New(Sources{Entities: ents, Audit: store, HR: src}, append(base, opts...)...)
}
