package report

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/entralifecycle/engine/internal/netaddr"
)

// authorized applies the access rule: with a token, every request must carry it; without
// one, the page is served only when the server listens on loopback.
func (h *Handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if h.token == "" {
		if netaddr.Loopback(h.listenAddr) {
			return true
		}
		http.Error(w, "the report is not served on a non-loopback address without a credential: set LIFECYCLE_REPORT_TOKEN (see docs/report.md)", http.StatusForbidden)
		return false
	}
	if h.presented(r) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="lifecycle report", charset="UTF-8"`)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
	return false
}

// presented reports whether the request carries the token, as a bearer token or as the
// basic-auth password. Both sides are hashed first so the comparison takes the same time
// whatever the lengths.
func (h *Handler) presented(r *http.Request) bool {
	var got string
	if _, pass, ok := r.BasicAuth(); ok {
		got = pass
	} else if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		got = strings.TrimSpace(v)
	} else {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(h.token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
