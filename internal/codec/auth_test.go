package codec

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

var quiet = slog.New(slog.DiscardHandler)

// sealedBody returns a decode request body holding one payload sealed by c.
func sealedBody(t *testing.T, c *Codec, plain string) []byte {
	t.Helper()
	enc, err := c.Encode([]*commonpb.Payload{jsonPayload(t, plain)})
	if err != nil {
		t.Fatal(err)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestDecodeRequiresCredential(t *testing.T) {
	c := mustCodec(t, 5)
	const token = "s3cret-codec-token-with-32-chars!"
	body := sealedBody(t, c, "Fatima el Amrani")
	origins := []string{"http://127.0.0.1:8233"}

	cases := []struct {
		name       string
		opts       Options
		remote     string // peer address; default a remote one
		host       string // Host header; default codec.example
		auth       string
		origin     string
		wantStatus int
	}{
		{"no credential configured, remote peer", Options{AllowedOrigins: origins}, "", "", "", "", http.StatusUnauthorized},
		{"zero options refuse even loopback", Options{}, "127.0.0.1:50000", "127.0.0.1:8235", "", "", http.StatusUnauthorized},
		{"token configured, none sent", Options{Token: token}, "", "", "", "", http.StatusUnauthorized},
		{"token configured, none sent from the UI origin", Options{Token: token, AllowedOrigins: origins}, "", "", "", "http://127.0.0.1:8233", http.StatusUnauthorized},
		{"wrong token", Options{Token: token}, "", "", "Bearer " + token + "x", "", http.StatusUnauthorized},
		{"token prefix", Options{Token: token}, "", "", "Bearer " + token[:10], "", http.StatusUnauthorized},
		{"basic scheme", Options{Token: token}, "", "", "Basic " + token, "", http.StatusUnauthorized},
		{"bare token", Options{Token: token}, "", "", token, "", http.StatusUnauthorized},
		{"right token", Options{Token: token}, "", "", "Bearer " + token, "", http.StatusOK},
		{"scheme is case-insensitive", Options{Token: token}, "", "", "bearer " + token, "", http.StatusOK},
		{"token required on loopback too", Options{Token: token, LoopbackWithoutToken: true}, "127.0.0.1:50000", "127.0.0.1:8235", "", "", http.StatusUnauthorized},
		{"dev loopback without token", Options{LoopbackWithoutToken: true}, "127.0.0.1:50000", "127.0.0.1:8235", "", "", http.StatusOK},
		{"dev loopback, ipv6", Options{LoopbackWithoutToken: true}, "[::1]:50000", "[::1]:8235", "", "", http.StatusOK},
		{"dev loopback, localhost host", Options{LoopbackWithoutToken: true}, "127.0.0.1:50000", "localhost:8235", "", "", http.StatusOK},
		{"dev mode, remote peer", Options{LoopbackWithoutToken: true}, "192.0.2.7:50000", "127.0.0.1:8235", "", "", http.StatusUnauthorized},
		{"dev mode, rebinding host name", Options{LoopbackWithoutToken: true}, "127.0.0.1:50000", "attacker.example:8235", "", "", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Logger = quiet
			h := http.StripPrefix("/codec", Handler(c, tc.opts))
			req := httptest.NewRequest(http.MethodPost, "/codec/decode", bytes.NewReader(body))
			req.RemoteAddr = "198.51.100.9:40000"
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			req.Host = "codec.example"
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusOK {
				var got commonpb.Payloads
				if err := protojson.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Payloads) != 1 || !strings.Contains(string(got.Payloads[0].GetData()), "Fatima") {
					t.Fatalf("decode answer %s (%v)", rec.Body, err)
				}
			} else if strings.Contains(rec.Body.String(), "payloads") {
				t.Fatalf("refused request got payloads: %s", rec.Body)
			}
			if tc.wantStatus == http.StatusUnauthorized {
				var e map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["error"] == "" {
					t.Fatalf("401 body is not a JSON error: %s", rec.Body)
				}
				if strings.Contains(rec.Body.String(), token) {
					t.Fatal("refusal echoes the token")
				}
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Fatal("401 without a challenge")
				}
				// The UI must be able to read the refusal, so CORS headers stay on it.
				if tc.origin != "" && rec.Header().Get("Access-Control-Allow-Origin") != tc.origin {
					t.Fatal("401 to the UI origin lacks CORS headers")
				}
			}
		})
	}
}

func TestPreflightNeedsNoCredential(t *testing.T) {
	h := http.StripPrefix("/codec", Handler(mustCodec(t, 6), Options{Token: "a-long-enough-codec-token", AllowedOrigins: []string{"https://temporal-ui.example"}}))
	req := httptest.NewRequest(http.MethodOptions, "/codec/decode", nil)
	req.Header.Set("Origin", "https://temporal-ui.example")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://temporal-ui.example" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
}

func TestCheckServe(t *testing.T) {
	cases := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8235", "", true},
		{"localhost:8235", "", true},
		{"[::1]:8235", "", true},
		{"0.0.0.0:8235", "", false},
		{":8235", "", false},
		{"10.1.2.3:8235", "", false},
		{"", "", false},
		{"0.0.0.0:8235", "a-long-enough-codec-token", true},
		{"0.0.0.0:8235", "short", false},
		{"127.0.0.1:8235", "has a space in the middle", false},
		{"127.0.0.1:8235", "non-ascii-tökenvalue-xyz", false},
	}
	for _, tc := range cases {
		err := CheckServe(tc.addr, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("CheckServe(%q, %q) = %v, want ok=%v", tc.addr, tc.token, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), TokenVariable) {
			t.Errorf("error %q does not name %s", err, TokenVariable)
		}
		if err != nil && tc.token != "" && strings.Contains(err.Error(), tc.token) {
			t.Errorf("error echoes the token")
		}
	}
}
