package codec

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"

	"github.com/entralifecycle/engine/internal/netaddr"
)

// MaxRequestBytes bounds a codec request body.
const MaxRequestBytes = 4 << 20

// MinTokenLength is the shortest bearer token the codec endpoint accepts as its credential.
const MinTokenLength = 16

// TokenVariable is the environment variable holding the codec endpoint's bearer token; errors
// and refusals name it so an operator knows what to set.
const TokenVariable = "LIFECYCLE_CODEC_TOKEN"

// Options configure the codec endpoint. The zero value refuses every encode and decode
// request (401): a credential, or the explicit loopback dev mode, has to be chosen.
type Options struct {
	// AllowedOrigins are the browser origins (the Temporal UI's address) granted CORS.
	AllowedOrigins []string
	// Token, when set, is required as "Authorization: Bearer <Token>" on every request.
	Token string
	// LoopbackWithoutToken serves requests without a credential when Token is empty, but
	// only to a peer on a loopback address whose Host header names a loopback host (so a
	// web page reaching the port through DNS rebinding is refused). Meant for dev mode,
	// where the embedded Temporal UI has no way to send a static header.
	LoopbackWithoutToken bool
	// Logger receives one line per refused request (never the credential).
	Logger *slog.Logger
}

// ValidToken reports whether s is usable as a codec bearer token: at least MinTokenLength
// printable ASCII characters without spaces (it travels in an HTTP header).
func ValidToken(s string) bool {
	if len(s) < MinTokenLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Handler serves Temporal's remote codec protocol (POST …/encode and …/decode with a JSON
// body {"payloads":[…]}) for the Temporal UI and CLI, mounted under a prefix such as /codec.
//
// Every encode and decode request must be authenticated as o describes; a refused request
// gets 401 with a JSON error and a WWW-Authenticate challenge. CORS preflight (OPTIONS) is
// answered without a credential, since browsers never send one on a preflight; the UI's
// origins get the headers it sends (Content-Type, X-Namespace, Authorization and
// Authorization-Extras, which the UI adds when it passes its access token).
func Handler(c *Codec, o Options) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(c)
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var want [sha256.Size]byte
	if o.Token != "" {
		want = sha256.Sum256([]byte(o.Token))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && slices.Contains(o.AllowedOrigins, strings.TrimRight(origin, "/")) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization, Authorization-Extras")
			h.Set("Access-Control-Max-Age", "600")
		}
		w.Header().Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, "codec endpoint accepts POST only")
			return
		}
		if msg := authorize(r, o, want); msg != "" {
			logger.Warn("codec request refused", "reason", msg, "remote", r.RemoteAddr, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="lifecycle-codec"`)
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		w.Header().Set("Cache-Control", "no-store")
		inner.ServeHTTP(w, r)
	})
}

// authorize returns "" when r may use the endpoint, else the reason for the client. The
// reason never contains what the client sent.
func authorize(r *http.Request, o Options, want [sha256.Size]byte) string {
	if o.Token == "" {
		if o.LoopbackWithoutToken && loopbackPeer(r.RemoteAddr) && netaddr.Loopback(r.Host) {
			return ""
		}
		return "codec endpoint has no credential configured (" + TokenVariable + "); it answers only loopback requests in dev mode"
	}
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "codec endpoint requires Authorization: Bearer <" + TokenVariable + ">"
	}
	// Comparing digests keeps the comparison constant-time whatever the lengths.
	got := sha256.Sum256([]byte(strings.TrimSpace(cred)))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return "codec bearer token does not match"
	}
	return ""
}

func loopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrNoCredential is returned by CheckServe when the endpoint would be served on a
// non-loopback address without a token.
var ErrNoCredential = errors.New(TokenVariable + ": required to serve the payload codec endpoint on a non-loopback address")

// CheckServe reports whether the codec endpoint may be served on listen address addr with
// token (empty for none): a token must be valid, and without one addr must be loopback.
func CheckServe(addr, token string) error {
	if token != "" {
		if !ValidToken(token) {
			return errors.New(TokenVariable + ": use at least 16 printable ASCII characters without spaces")
		}
		return nil
	}
	if !netaddr.Loopback(addr) {
		return ErrNoCredential
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
