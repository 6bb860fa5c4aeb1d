package dispatch

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/webhook"
)

var quiet = slog.New(slog.DiscardHandler)

func TestCodecEndpointNeedsCredentialOffLoopback(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	cases := []struct {
		name    string
		addr    string
		token   string
		wantErr bool
	}{
		{"all interfaces without token", "0.0.0.0:8235", "", true},
		{"unset address without token", "", "", true},
		{"lan address without token", "10.0.0.5:8235", "", true},
		{"loopback without token (dev)", "127.0.0.1:8235", "", false},
		{"all interfaces with token", "0.0.0.0:8235", "codec-token-of-enough-length", false},
		{"too short a token", "0.0.0.0:8235", "short", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := HTTPHandler(Dispatcher{}, HTTPOptions{Addr: tc.addr, PayloadKey: key, CodecToken: tc.token, Logger: quiet})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "LIFECYCLE_CODEC_TOKEN") || strings.Contains(err.Error(), "\n")) {
				t.Fatalf("error %q is not one line naming LIFECYCLE_CODEC_TOKEN", err)
			}
		})
	}
	// Without a payload key there is no codec endpoint, so no credential is needed.
	if _, err := HTTPHandler(Dispatcher{}, HTTPOptions{Addr: "0.0.0.0:8235", Logger: quiet}); err != nil {
		t.Fatal(err)
	}
}

func TestCodecEndpointWiredWithToken(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	const token = "codec-token-of-enough-length"
	h, err := HTTPHandler(Dispatcher{}, HTTPOptions{Addr: "0.0.0.0:8235", PayloadKey: key, CodecToken: token, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"payloads":[{"metadata":{"encoding":"` + base64.StdEncoding.EncodeToString([]byte("json/plain")) + `"},"data":"` +
		base64.StdEncoding.EncodeToString([]byte(`"x"`)) + `"}]}`
	for _, auth := range []string{"", "Bearer " + token} {
		req := httptest.NewRequest(http.MethodPost, "/codec/encode", strings.NewReader(body))
		req.RemoteAddr = "203.0.113.4:5000"
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := http.StatusUnauthorized
		if auth != "" {
			want = http.StatusOK
		}
		if rec.Code != want || (want == http.StatusOK && !strings.Contains(rec.Body.String(), codecEncodingB64())) {
			t.Fatalf("with token %v: %d %s", auth != "", rec.Code, rec.Body)
		}
	}
}

func codecEncodingB64() string {
	return base64.StdEncoding.EncodeToString([]byte(codec.EncodingEncrypted))
}

// fakeClient is the Temporal boundary's test double: it records Signal-With-Start calls and
// answers them with err.
type fakeClient struct {
	client.Client
	signals []string
	err     error
}

func (f *fakeClient) SignalWithStartWorkflow(_ context.Context, id, _ string, _ any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.signals = append(f.signals, id)
	return nil, f.err
}

var webhookSecret = []byte("webhook-secret-0123456789")

func postEvent(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, webhook.EventsPath, strings.NewReader(body))
	ts, sig := webhook.Sign(webhookSecret, time.Now(), []byte(body))
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderSignature, sig)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestEmbeddedRecordsRefusedByDefault(t *testing.T) {
	forged := `{"employeeId":"1003","source":"afas","employee":{"givenName":"Piet","familyName":"Bakker",` +
		`"contracts":[{"id":"1003-1","start":"2024-01-01","department":"ICT"}]}}`
	for _, accept := range []bool{false, true} {
		fc := &fakeClient{}
		h, err := HTTPHandler(Dispatcher{Client: fc, TaskQueue: "q"}, HTTPOptions{Secret: webhookSecret, AcceptRecords: accept, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		rec := postEvent(t, h, forged)
		if !accept && (rec.Code != http.StatusBadRequest || len(fc.signals) != 0) {
			t.Fatalf("zero options: %d %s, signals %v", rec.Code, rec.Body, fc.signals)
		}
		if accept && (rec.Code != http.StatusAccepted || len(fc.signals) != 1) {
			t.Fatalf("AcceptRecords: %d %s, signals %v", rec.Code, rec.Body, fc.signals)
		}
	}
}

func TestTemporalInvalidArgumentIsA400(t *testing.T) {
	fc := &fakeClient{err: serviceerror.NewInvalidArgument("WorkflowId length exceeds limit.")}
	h, err := HTTPHandler(Dispatcher{Client: fc, TaskQueue: "q"}, HTTPOptions{Secret: webhookSecret, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if rec := postEvent(t, h, `{"employeeId":"1001"}`); rec.Code != http.StatusBadRequest {
		t.Fatalf("invalid argument: %d %s", rec.Code, rec.Body)
	}
	// A non-ASCII id never reaches Temporal.
	fc = &fakeClient{}
	h, _ = HTTPHandler(Dispatcher{Client: fc, TaskQueue: "q"}, HTTPOptions{Secret: webhookSecret, Logger: quiet})
	if rec := postEvent(t, h, `{"employeeId":"1001é"}`); rec.Code != http.StatusBadRequest || len(fc.signals) != 0 {
		t.Fatalf("non-ASCII id: %d %s, signals %v", rec.Code, rec.Body, fc.signals)
	}
	// Temporal being unavailable stays a 503: retrying later helps.
	fc = &fakeClient{err: serviceerror.NewUnavailable("down")}
	h, _ = HTTPHandler(Dispatcher{Client: fc, TaskQueue: "q"}, HTTPOptions{Secret: webhookSecret, Logger: quiet})
	if rec := postEvent(t, h, `{"employeeId":"1001"}`); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("unavailable: %d %s", rec.Code, rec.Body)
	}
}
