package entityaddr

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// The names are in running workflows' histories and in recorded test
// histories: they must never change.
func TestNamesAreStable(t *testing.T) {
	cases := []struct{ got, want string }{
		{WorkflowType, "Employee"},
		{WorkflowID("1001"), "employee/1001"},
		{SignalHRChanged, "hr-changed"},
		{UpdateReconcile, "reconcile"},
		{QueryState, "state"},
		{SearchAttribute, "EmployeeId"},
		{EmployeeIDKey.GetName(), "EmployeeId"},
		{UpdateID("Reconcile:r-1", "exit", "1001"), "Reconcile:r-1/exit/1001"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// The payloads' JSON forms are what running entities decode.
func TestPayloadsJSON(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{Start{EmployeeID: "1001"}, `{"employeeId":"1001"}`},
		{HRChanged{Reason: "manual-sync", Source: "cli"}, `{"reason":"manual-sync","source":"cli"}`},
		{ReconcileRequest{Action: "hire", Source: "Reconcile:r"}, `{"action":"hire","source":"Reconcile:r"}`},
		{Target{TaskQueue: "q", Source: "s", StateQuery: QueryState}, `{"taskQueue":"q","source":"s","stateQuery":"state"}`},
	}
	for _, tc := range cases {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%T: %s %v, want %s", tc.v, b, err, tc.want)
		}
	}
}

func TestStartOptions(t *testing.T) {
	o := StartOptions("1001", "lifecycle")
	if o.ID != "employee/1001" || o.TaskQueue != "lifecycle" || o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
		t.Errorf("options %+v", o)
	}
	if v, ok := o.TypedSearchAttributes.GetKeyword(EmployeeIDKey); !ok || v != "1001" {
		t.Errorf("search attribute %q %v", v, ok)
	}
}

type fakeClient struct {
	signalID, signal, workflow string
	signalArg, startArg        any
	opts                       client.StartWorkflowOptions
	update                     client.UpdateWorkflowOptions
	err                        error
}

func (f *fakeClient) SignalWithStartWorkflow(_ context.Context, id, signal string, arg any, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.signalID, f.signal, f.signalArg, f.opts, f.workflow, f.startArg = id, signal, arg, o, wf.(string), args[0]
	return nil, f.err
}

func (f *fakeClient) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, wf any, args ...any) client.WithStartWorkflowOperation {
	f.opts, f.workflow, f.startArg = o, wf.(string), args[0]
	return nil
}

func (f *fakeClient) UpdateWithStartWorkflow(_ context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.update = o.UpdateOptions
	if f.err != nil {
		return nil, f.err
	}
	return handle{}, nil
}

type handle struct{ client.WorkflowUpdateHandle }

func (handle) Get(_ context.Context, v any) error {
	*v.(*ReconcileOutcome) = ReconcileOutcome{EmployeeID: "1001", Applied: true, Status: "active"}
	return nil
}

func TestSignalWithStart(t *testing.T) {
	f := &fakeClient{}
	id, err := SignalWithStart(context.Background(), f, "q", "1001", HRChanged{Reason: "r"})
	if err != nil || id != "employee/1001" {
		t.Fatalf("id %q err %v", id, err)
	}
	if f.signalID != id || f.signal != SignalHRChanged || f.workflow != WorkflowType || f.opts.TaskQueue != "q" ||
		f.startArg != (Start{EmployeeID: "1001"}) || f.signalArg.(HRChanged).Reason != "r" {
		t.Errorf("delivered %+v", f)
	}
	f.err = errors.New("unavailable")
	if id, err := SignalWithStart(context.Background(), f, "q", "1001", HRChanged{}); id != "" || err == nil || !strings.Contains(err.Error(), "signal employee/1001") {
		t.Errorf("failure: id %q err %v", id, err)
	}
}

func TestUpdateWithStart(t *testing.T) {
	f := &fakeClient{}
	tg := Target{TaskQueue: "q", Source: "Reconcile:r-1", Approved: "ok"}
	out, err := UpdateWithStart(context.Background(), f, tg, "1001", ReconcileRequest{Action: "exit", Source: tg.Source, Approved: tg.Approved})
	if err != nil || !out.Applied {
		t.Fatalf("outcome %+v err %v", out, err)
	}
	if f.opts.ID != "employee/1001" || f.opts.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
		f.workflow != WorkflowType || f.startArg != (Start{EmployeeID: "1001"}) {
		t.Errorf("start %+v", f.opts)
	}
	if f.update.UpdateName != UpdateReconcile || f.update.UpdateID != "Reconcile:r-1/exit/1001" || f.update.WaitForStage != client.WorkflowUpdateStageCompleted {
		t.Errorf("update %+v", f.update)
	}
	f.err = errors.New("unavailable")
	if _, err := UpdateWithStart(context.Background(), f, tg, "1001", ReconcileRequest{Action: "exit"}); err == nil || !strings.Contains(err.Error(), "deliver to employee/1001") {
		t.Errorf("failure: %v", err)
	}
}
