package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/workflows"
)

// One embedded server, a real worker with the production registration, a real workflow.
func TestPingWorkflowThroughEmbeddedServer(t *testing.T) {
	s := startStack(t, devstack.Options{})
	c := dial(t, s, client.Options{})
	startWorker(t, c, "e2e-ping")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ping/e2e", TaskQueue: "e2e-ping"},
		workflows.PingWorkflowName, workflows.PingRequest{Message: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.PingResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Activity.Message != "hello" || res.Activity.Worker != "e2e-worker" || res.Activity.TaskQueue != "e2e-ping" || res.WorkflowID != "ping/e2e" {
		t.Fatalf("unexpected ping result %+v", res)
	}

	// The search attributes of docs/architecture.md exist with their types.
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]enumspb.IndexedValueType{
		"EmployeeId": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "LifecycleEvent": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"Department": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "LifecycleStatus": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"EffectiveDate": enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
	for name, typ := range want {
		if got, ok := resp.GetCustomAttributes()[name]; !ok || got != typ {
			t.Errorf("search attribute %s: got %v (present %v), want %v", name, got, ok, typ)
		}
	}
	// Registering again (an existing database) is a no-op, and a type clash is named.
	var attrs []devstack.SearchAttribute
	for _, sa := range workflows.SearchAttributes() {
		attrs = append(attrs, devstack.SearchAttribute{Name: sa.Name, Type: sa.Type})
	}
	if err := devstack.RegisterSearchAttributes(ctx, c.OperatorService(), s.Namespace(), attrs); err != nil {
		t.Fatalf("second registration: %v", err)
	}
	clash := []devstack.SearchAttribute{{Name: "EmployeeId", Type: enumspb.INDEXED_VALUE_TYPE_INT}}
	if err := devstack.RegisterSearchAttributes(ctx, c.OperatorService(), s.Namespace(), clash); err == nil || !strings.Contains(err.Error(), "EmployeeId") {
		t.Fatalf("type clash error = %v, want one naming EmployeeId", err)
	}
}

// A payload stored with the codec on is not readable as plain JSON in history, decodes with
// the key, and the remote codec endpoint the UI uses decodes it too.
func TestPayloadCodecEncryptsHistory(t *testing.T) {
	s := startStack(t, devstack.Options{})
	key := bytes.Repeat([]byte{7}, 32)
	cd, err := codec.New(key)
	if err != nil {
		t.Fatal(err)
	}
	encrypted := dial(t, s, client.Options{DataConverter: cd.DataConverter()})
	plain := dial(t, s, client.Options{})
	startWorker(t, encrypted, "e2e-codec")

	secret := "Jan de Vries, BSN 123456782"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := encrypted.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ping/codec", TaskQueue: "e2e-codec"},
		workflows.PingWorkflowName, workflows.PingRequest{Message: secret})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.PingResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Activity.Message != secret {
		t.Fatalf("round trip through the codec lost the message: %+v", res)
	}

	// Read raw history without the codec: every payload is sealed, none holds the plain text.
	var payloads []*commonpb.Payload
	it := plain.GetWorkflowHistory(ctx, "ping/codec", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var rawHistory bytes.Buffer
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := protojson.Marshal(ev)
		rawHistory.Write(b)
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			payloads = append(payloads, a.GetInput().GetPayloads()...)
		}
		if a := ev.GetWorkflowExecutionCompletedEventAttributes(); a != nil {
			payloads = append(payloads, a.GetResult().GetPayloads()...)
		}
	}
	if len(payloads) != 2 {
		t.Fatalf("found %d input/result payloads, want 2", len(payloads))
	}
	if strings.Contains(rawHistory.String(), "Vries") || strings.Contains(rawHistory.String(), base64.StdEncoding.EncodeToString([]byte(`"Jan de Vries`))) {
		t.Fatal("plain employee data is readable in the stored history")
	}
	for _, p := range payloads {
		if enc := string(p.GetMetadata()["encoding"]); enc != codec.EncodingEncrypted {
			t.Fatalf("payload encoding %q, want %q", enc, codec.EncodingEncrypted)
		}
		var v any
		if json.Unmarshal(p.GetData(), &v) == nil {
			t.Fatal("encrypted payload data parses as JSON")
		}
	}
	decoded, err := cd.Decode(payloads[:1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(decoded[0].GetData()), secret) {
		t.Fatalf("decoded input %q lacks the message", decoded[0].GetData())
	}

	// The remote codec endpoint (what the Temporal UI calls) decodes with CORS for the UI.
	srv := httptest.NewServer(http.StripPrefix("/codec", codec.Handler(cd, codec.Options{AllowedOrigins: []string{"http://127.0.0.1:8233"}, Token: "e2e-codec-token-0123456789"})))
	defer srv.Close()
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: payloads[:1]})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/codec/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://127.0.0.1:8233")
	req.Header.Set("X-Namespace", "default")
	req.Header.Set("Authorization", "Bearer e2e-codec-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
		t.Fatalf("codec decode: status %d, CORS %q, body %s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), out)
	}
	var got commonpb.Payloads
	if err := protojson.Unmarshal(out, &got); err != nil || len(got.Payloads) != 1 || !strings.Contains(string(got.Payloads[0].GetData()), secret) {
		t.Fatalf("codec endpoint answer %s (err %v) lacks the message", out, err)
	}

	// A wrong key is reported as a wrong key, not garbage.
	other, _ := codec.New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Decode(payloads[:1]); !errors.Is(err, codec.ErrWrongKey) {
		t.Fatalf("decode with another key: %v, want ErrWrongKey", err)
	}
}

// A port in use stops start-up with one line naming it, before anything starts.
func TestDevStackPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = devstack.Start(context.Background(), devstack.Options{FrontendAddr: l.Addr().String()})
	var pe *devstack.PortInUseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), l.Addr().String()) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want a one-line PortInUseError naming %s", err, l.Addr())
	}
}
