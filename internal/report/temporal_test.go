package report

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type fakeTemporal struct {
	queries  []string
	pages    map[string][][]*workflowpb.WorkflowExecutionInfo
	answers  map[string]any
	inflight atomic.Int32
	peak     atomic.Int32
	asked    atomic.Int32
}

var _ TemporalClient = (*fakeTemporal)(nil)

func (f *fakeTemporal) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.queries = append(f.queries, req.Query)
	pages := f.pages[req.Query]
	i := 0
	if len(req.NextPageToken) > 0 {
		i = int(req.NextPageToken[0])
	}
	if i >= len(pages) {
		return &workflowservice.ListWorkflowExecutionsResponse{}, nil
	}
	resp := &workflowservice.ListWorkflowExecutionsResponse{Executions: pages[i]}
	if i+1 < len(pages) {
		resp.NextPageToken = []byte{byte(i + 1)}
	}
	return resp, nil
}

func (f *fakeTemporal) QueryWorkflow(_ context.Context, id, _, query string, _ ...any) (converter.EncodedValue, error) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.asked.Add(1)
	time.Sleep(time.Millisecond)
	return encoded{f.answers[id+"/"+query]}, nil
}

func execution(t *testing.T, id, typ string, status enumspb.WorkflowExecutionStatus, start time.Time, sa map[string]any) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	fields := map[string]*commonpb.Payload{}
	for k, v := range sa {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		fields[k] = p
	}
	return &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: id + "-run"},
		Type:      &commonpb.WorkflowType{Name: typ}, Status: status, StartTime: timestamppb.New(start),
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields},
	}
}

func TestTemporalEntities(t *testing.T) {
	left := now.Add(-3 * 24 * time.Hour)
	running := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	f := &fakeTemporal{
		pages: map[string][][]*workflowpb.WorkflowExecutionInfo{
			entityQuery: {
				{
					execution(t, "employee/E1", "Employee", running, now, map[string]any{"EmployeeId": "E1", "LifecycleStatus": "active"}),
					// An older closed run of the same id is dropped.
					execution(t, "employee/E1", "Employee", enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, now.Add(-time.Hour), map[string]any{"EmployeeId": "E1", "LifecycleStatus": "new"}),
				},
				{
					execution(t, "employee/E2", "Employee", running, now, map[string]any{"EmployeeId": "E2", "LifecycleStatus": "left", "LifecycleEvent": "exit", "EffectiveDate": left}),
					execution(t, "employee/E3", "Employee", enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, now, map[string]any{"LifecycleStatus": "active"}),
				},
			},
			heldQuery: {{execution(t, "reconcile/5", "Reconcile", running, now, nil), execution(t, "rollout/1", "PolicyRollout", running, now, nil),
				execution(t, "employee/E7", "Employee", running, now, nil), execution(t, "employee/E8", "Employee", running, now, nil)}},
		},
		answers: map[string]any{
			"employee/E1/state": map[string]any{
				"employeeId": "E1", "status": "active", "lastError": "boom",
				"employee":      map[string]any{"employeeId": "E1", "givenName": "Ann", "familyName": "Jansen", "contracts": []any{}},
				"pendingTimers": []any{map[string]any{"what": "leave: disable the account", "at": now.Add(48 * time.Hour)}},
				"replacements":  []any{map[string]any{"id": "r1", "replacedEmployeeId": "E9", "end": now.Add(24 * time.Hour), "state": "active"}},
			},
			"employee/E2/state": map[string]any{"employeeId": "E2", "leftAt": left},
			"employee/E7/state": map[string]any{"employeeId": "E7", "status": "active", "removalGuard": map[string]any{
				"state": "held", "reason": "budget reached", "revoke": []any{map[string]any{"kind": "group", "name": "Sales"}}}},
			"employee/E8/state":    map[string]any{"employeeId": "E8", "status": "awaiting-approval", "exitGuard": map[string]any{"state": "held", "reason": "3 exits already wait"}},
			"reconcile/5/progress": map[string]any{"held": 7, "summary": map[string]any{"guard": map[string]any{"reason": "7 disables above 2%"}}},
		},
	}
	src := &Temporal{Client: f, Namespace: "default", Concurrency: 1}
	ents, err := src.Entities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 3 {
		t.Fatalf("%d entities, want 3: %+v", len(ents), ents)
	}
	e1, e2, e3 := ents[0], ents[1], ents[2]
	if e1.Status != "active" || e1.Execution != "Running" || e1.State == nil || e1.State.Name != "Ann Jansen" || e1.State.LastError != "boom" ||
		len(e1.State.Timers) != 1 || len(e1.State.Replacements) != 1 || e1.State.Replacements[0].ID != "r1" {
		t.Errorf("E1 = %+v state %+v", e1, e1.State)
	}
	if !e2.EffectiveDate.Equal(left) || e2.LastEvent != "exit" || e2.State == nil || e2.State.LeftAt == nil || !e2.State.LeftAt.Equal(left) {
		t.Errorf("E2 = %+v", e2)
	}
	// No EmployeeId attribute: read from the workflow id; not running: not queried.
	if e3.EmployeeID != "E3" || e3.Execution != "Failed" || e3.State != nil {
		t.Errorf("E3 = %+v", e3)
	}
	if f.asked.Load() != 2 || f.peak.Load() != 1 {
		t.Errorf("asked %d (want 2), peak concurrency %d (want 1)", f.asked.Load(), f.peak.Load())
	}
	if !strings.Contains(entityQuery, "WorkflowType = 'Employee'") {
		t.Errorf("entity query %q", entityQuery)
	}

	held, err := src.HeldRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 4 || held[0].Held != 7 || held[0].Reason != "7 disables above 2%" || held[1].WorkflowType != "PolicyRollout" {
		t.Errorf("held = %+v", held)
	}
	if len(held) == 4 && (held[2].Held != 1 || held[2].Reason != "removal held: group:Sales; budget reached" ||
		held[3].Held != 0 || held[3].Reason != "exit held: 3 exits already wait") {
		t.Errorf("held entities = %+v / %+v", held[2], held[3])
	}

	// MaxQueries bounds the queries.
	f.asked.Store(0)
	src.MaxQueries = 1
	if _, err := src.Entities(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.asked.Load() != 1 {
		t.Errorf("asked %d with MaxQueries 1", f.asked.Load())
	}
}
