package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

func mustCodec(t *testing.T, b byte) *Codec {
	t.Helper()
	c, err := New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTripHidesPlaintext(t *testing.T) {
	c := mustCodec(t, 1)
	in := jsonPayload(t, map[string]string{"givenName": "Anneke", "familyName": "Jansen"})
	enc, err := c.Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc[0].Data, []byte("Anneke")) || bytes.Contains(enc[0].Data, []byte("json/plain")) {
		t.Fatal("ciphertext contains plaintext or the original encoding")
	}
	if string(enc[0].Metadata[MetadataEncoding]) != EncodingEncrypted || string(enc[0].Metadata[MetadataKeyID]) != c.KeyID() {
		t.Fatalf("metadata %v", enc[0].Metadata)
	}
	again, _ := c.Encode([]*commonpb.Payload{in})
	if bytes.Equal(again[0].Data, enc[0].Data) {
		t.Fatal("two encryptions of the same payload are identical: nonce reuse")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &got); err != nil || got["givenName"] != "Anneke" {
		t.Fatalf("decoded %v (%v)", got, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	c := mustCodec(t, 1)
	enc, _ := c.Encode([]*commonpb.Payload{jsonPayload(t, "secret")})

	if _, err := mustCodec(t, 2).Decode(enc); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("other key: %v", err)
	}
	flip := func(mut func(p *commonpb.Payload)) []*commonpb.Payload {
		p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: append([]byte(nil), enc[0].Data...)}
		for k, v := range enc[0].Metadata {
			p.Metadata[k] = v
		}
		mut(p)
		return []*commonpb.Payload{p}
	}
	tampered := []struct {
		name string
		mut  func(p *commonpb.Payload)
	}{
		{"bit flipped", func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 }},
		{"truncated", func(p *commonpb.Payload) { p.Data = p.Data[:10] }},
		{"nonce changed", func(p *commonpb.Payload) { p.Data[0] ^= 0xff }},
	}
	for _, tc := range tampered {
		if _, err := c.Decode(flip(tc.mut)); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v, want ErrTampered", tc.name, err)
		}
	}
	// Unencrypted payloads (history from before encryption) pass through untouched.
	plain := jsonPayload(t, "old")
	out, err := c.Decode([]*commonpb.Payload{plain})
	if err != nil || out[0] != plain {
		t.Fatalf("passthrough: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	k := bytes.Repeat([]byte{9}, 32)
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k),
		base64.URLEncoding.EncodeToString(k), " " + base64.StdEncoding.EncodeToString(k) + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "!!!", base64.StdEncoding.EncodeToString(k[:16])} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error echoes the key: %v", err)
		}
	}
}

func TestHandlerCORSAndProtocol(t *testing.T) {
	c := mustCodec(t, 3)
	const token = "codec-test-token-0123456789"
	h := http.StripPrefix("/codec", Handler(c, Options{AllowedOrigins: []string{"http://127.0.0.1:8233"}, Token: token}))
	post := func(path string, body []byte) *http.Request {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}

	// Preflight from the UI origin.
	req := httptest.NewRequest(http.MethodOptions, "/codec/decode", nil)
	req.Header.Set("Origin", "http://127.0.0.1:8233")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "X-Namespace") ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization-Extras") {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
	// Another origin gets no CORS grant.
	req = httptest.NewRequest(http.MethodOptions, "/codec/decode", nil)
	req.Header.Set("Origin", "http://evil.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("foreign origin granted")
	}
	// encode then decode over HTTP.
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{jsonPayload(t, "Fatima el Amrani")}})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, post("/codec/encode", body))
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "Fatima") {
		t.Fatalf("encode: %d %s", rec.Code, rec.Body)
	}
	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, post("/codec/decode", rec.Body.Bytes()))
	var got commonpb.Payloads
	if rec2.Code != http.StatusOK || protojson.Unmarshal(rec2.Body.Bytes(), &got) != nil || !strings.Contains(string(got.Payloads[0].Data), "Fatima") {
		t.Fatalf("decode: %d %s", rec2.Code, rec2.Body)
	}
	// Decoding with the wrong key answers 400 with the reason, not garbage.
	other := http.StripPrefix("/codec", Handler(mustCodec(t, 4), Options{Token: token}))
	rec3 := httptest.NewRecorder()
	other.ServeHTTP(rec3, post("/codec/decode", rec.Body.Bytes()))
	if rec3.Code != http.StatusBadRequest || !strings.Contains(rec3.Body.String(), "different LIFECYCLE_PAYLOAD_KEY") {
		t.Fatalf("wrong key over HTTP: %d %s", rec3.Code, rec3.Body)
	}
	// GET is refused.
	rec4 := httptest.NewRecorder()
	h.ServeHTTP(rec4, httptest.NewRequest(http.MethodGet, "/codec/decode", nil))
	if rec4.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", rec4.Code)
	}
}
