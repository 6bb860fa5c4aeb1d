package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/internal/webhook"
	"github.com/entralifecycle/engine/workflows"
)

// The HR webhook against the embedded server: a valid signed event signals-with-start the
// employee's entity workflow (202 with its id); refused requests start nothing.
func TestWebhookSignalsEntityWorkflow(t *testing.T) {
	s := startStack(t, devstack.Options{})
	c := dial(t, s, client.Options{})
	secret := []byte("webhook-test-secret-0123456789")
	h, err := dispatch.HTTPHandler(dispatch.Dispatcher{Client: c, TaskQueue: "e2e-webhook-no-worker"}, dispatch.HTTPOptions{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	post := func(body []byte, sign bool, ts time.Time) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/hr/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			tsH, sigH := webhook.Sign(secret, ts, body)
			req.Header.Set("X-Lifecycle-Timestamp", tsH)
			req.Header.Set("X-Lifecycle-Signature", sigH)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exists := func(id string) bool {
		_, err := c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil
	}

	// Refusals: unsigned, stale, wrong signature. Nothing is started.
	bad := []byte(`{"employeeId":"2001","source":"afas","reason":"contract-changed"}`)
	if code, _ := post(bad, false, time.Now()); code != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", code)
	}
	if code, _ := post(bad, true, time.Now().Add(-10*time.Minute)); code != http.StatusUnauthorized {
		t.Fatalf("stale: %d", code)
	}
	if exists(workflows.EmployeeWorkflowID("2001")) {
		t.Fatal("a refused event started a workflow")
	}

	// A valid event: 202, the workflow id, and an hr-changed signal in the entity's history.
	body := []byte(`{"employeeId":"1001","source":"afas","reason":"contract-changed"}`)
	code, reply := post(body, true, time.Now())
	if code != http.StatusAccepted {
		t.Fatalf("valid event: %d %s", code, reply)
	}
	var r struct {
		WorkflowID string `json:"workflowId"`
	}
	if err := json.Unmarshal([]byte(reply), &r); err != nil || r.WorkflowID != "employee/1001" {
		t.Fatalf("reply %s", reply)
	}
	// A duplicate delivery signals the same workflow again (harmless), no second execution.
	if code, _ := post(body, true, time.Now()); code != http.StatusAccepted {
		t.Fatalf("duplicate: %d", code)
	}
	var signals []workflows.HRChanged
	it := c.GetWorkflowHistory(ctx, r.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			if a.GetSignalName() != workflows.SignalHRChanged {
				t.Fatalf("signal name %q", a.GetSignalName())
			}
			var ch workflows.HRChanged
			if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &ch); err != nil {
				t.Fatal(err)
			}
			signals = append(signals, ch)
		}
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil && a.GetWorkflowType().GetName() != workflows.EmployeeWorkflowName {
			t.Fatalf("started %s", a.GetWorkflowType().GetName())
		}
	}
	if len(signals) != 2 || signals[0].Reason != "contract-changed" || signals[0].Source != "afas" {
		t.Fatalf("signals %+v", signals)
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "ok") {
		t.Fatalf("healthz %d %s", resp.StatusCode, b)
	}
}
