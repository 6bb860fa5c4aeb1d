package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/workflows"
)

// TemporalClient is the part of the Temporal client the report uses (client.Client has it).
type TemporalClient interface {
	ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error)
}

// Temporal lists employee entities through Temporal visibility and asks running ones for
// their state. Queries are bounded: at most MaxQueries entities are asked, Concurrency at a
// time, each within QueryTimeout; the others are reported from their search attributes only.
type Temporal struct {
	Client    TemporalClient
	Namespace string
	// MaxEntities caps the entities listed (default 50000).
	MaxEntities int
	// MaxQueries caps the state queries per page view (default 500; negative: none).
	MaxQueries int
	// Concurrency is how many queries run at once (default 8).
	Concurrency int
	// QueryTimeout bounds one query (default 5s).
	QueryTimeout time.Duration
	Logger       *slog.Logger
}

var _ Entities = (*Temporal)(nil)

// entityQuery lists the entity workflows, leaving out the runs closed by continue-as-new.
var entityQuery = fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus != 'ContinuedAsNew'", workflows.EmployeeWorkflowName)

// heldQuery lists the running workflows the mass-change guard holds.
var heldQuery = fmt.Sprintf("%s = '%s' AND ExecutionStatus = 'Running'", workflows.SALifecycleStatus, workflows.StatusAwaitingApproval)

// Entities lists the employee entities, newest run per workflow id, with their state.
func (t *Temporal) Entities(ctx context.Context) ([]Entity, error) {
	infos, err := t.list(ctx, entityQuery, cmpOr(t.MaxEntities, 50000))
	if err != nil {
		return nil, fmt.Errorf("list employee entities: %w", err)
	}
	byID := map[string]int{}
	var out []Entity
	for _, in := range infos {
		id := in.GetExecution().GetWorkflowId()
		e := Entity{
			WorkflowID: id,
			EmployeeID: keyword(in, workflows.SAEmployeeID),
			Status:     keyword(in, workflows.SALifecycleStatus),
			LastEvent:  keyword(in, workflows.SALifecycleEvent),
			Execution:  executionStatus(in),
		}
		if e.EmployeeID == "" {
			e.EmployeeID = strings.TrimPrefix(id, "employee/")
		}
		e.EffectiveDate = datetime(in, workflows.SAEffectiveDate)
		if i, seen := byID[id]; seen {
			// Keep the newest run (a running one wins over a closed one of the same id).
			if out[i].Execution == "Running" || in.GetStartTime().AsTime().Before(startOf(infos, out[i].WorkflowID)) {
				continue
			}
			out[i] = e
			continue
		}
		byID[id] = len(out)
		out = append(out, e)
	}
	t.queryStates(ctx, out)
	return out, nil
}

func startOf(infos []*workflowpb.WorkflowExecutionInfo, id string) time.Time {
	var latest time.Time
	for _, in := range infos {
		if in.GetExecution().GetWorkflowId() == id && in.GetStartTime().AsTime().After(latest) {
			latest = in.GetStartTime().AsTime()
		}
	}
	return latest
}

// queryStates asks running entities for their state, bounded and concurrent.
func (t *Temporal) queryStates(ctx context.Context, ents []Entity) {
	limit := cmpOr(t.MaxQueries, 500)
	if limit < 0 {
		return
	}
	conc := cmpOr(t.Concurrency, 8)
	timeout := t.QueryTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var failMu sync.Mutex
	failed := 0
	asked := 0
	for i := range ents {
		if ents[i].Execution != "Running" || asked >= limit {
			continue
		}
		asked++
		sem <- struct{}{}
		wg.Add(1)
		go func(e *Entity) {
			defer func() { <-sem; wg.Done() }()
			qctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			st, err := t.state(qctx, e.WorkflowID)
			if err != nil {
				failMu.Lock()
				failed++
				failMu.Unlock()
				return
			}
			e.State = st
		}(&ents[i])
	}
	wg.Wait()
	if failed > 0 {
		t.logger().Warn("report: entity state queries failed", "failed", failed, "asked", asked)
	}
}

// stateWire is the part of the entity's state query answer (workflows' entityState JSON)
// the report reads.
type stateWire struct {
	Status    string `json:"status"`
	ExitGuard *struct {
		HeldFrom string `json:"heldFrom"`
	} `json:"exitGuard"`
	ObjectID  string       `json:"objectId"`
	UPN       string       `json:"userPrincipalName"`
	Employee  *hr.Employee `json:"employee"`
	LastError string       `json:"lastError"`
	Blocked   bool         `json:"blocked"`
	RetryAt   *time.Time   `json:"retryAt"`
	LeftAt    *time.Time   `json:"leftAt"`
	Timers    []struct {
		What string    `json:"what"`
		At   time.Time `json:"at"`
	} `json:"pendingTimers"`
	Replacements []struct {
		ID                 string    `json:"id"`
		ReplacedEmployeeID string    `json:"replacedEmployeeId"`
		End                time.Time `json:"end"`
		State              string    `json:"state"`
	} `json:"replacements"`
}

func (t *Temporal) state(ctx context.Context, workflowID string) (*EntityState, error) {
	v, err := t.Client.QueryWorkflow(ctx, workflowID, "", workflows.QueryState)
	if err != nil {
		return nil, fmt.Errorf("query %s of %s: %w", workflows.QueryState, workflowID, err)
	}
	var w stateWire
	if err := v.Get(&w); err != nil {
		return nil, fmt.Errorf("decode %s of %s: %w", workflows.QueryState, workflowID, err)
	}
	st := &EntityState{Status: w.Status, ObjectID: w.ObjectID, UPN: w.UPN, LastError: w.LastError, Blocked: w.Blocked, RetryAt: w.RetryAt, LeftAt: w.LeftAt}
	if w.ExitGuard != nil {
		st.HeldFrom = w.ExitGuard.HeldFrom
	}
	if w.Employee != nil {
		st.Name = w.Employee.FullName()
	}
	for _, tm := range w.Timers {
		st.Timers = append(st.Timers, Timer{What: tm.What, At: tm.At})
	}
	for _, r := range w.Replacements {
		st.Replacements = append(st.Replacements, ReplacementState{ID: r.ID, ReplacedEmployeeID: r.ReplacedEmployeeID, End: r.End, State: r.State})
	}
	return st, nil
}

// progressWire is the part of a reconciliation's progress query answer the report reads.
type progressWire struct {
	Held    int `json:"held"`
	Summary *struct {
		Guard struct {
			Reason string `json:"reason"`
		} `json:"guard"`
	} `json:"summary"`
}

// heldEntityWire is the part of an entity's state query answer that says what the
// tenant-wide guard holds for it: an exit, or the removal of managed access.
type heldEntityWire struct {
	ExitGuard *struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	} `json:"exitGuard"`
	RemovalGuard *struct {
		State  string               `json:"state"`
		Reason string               `json:"reason"`
		Revoke []policy.Entitlement `json:"revoke"`
	} `json:"removalGuard"`
}

// heldEntity fills in what the guard holds for an employee entity: "exit held" or
// "removal held" with what would be removed (Held counts it) and the guard's reason.
func (t *Temporal) heldEntity(ctx context.Context, h *HeldRun, runID string) {
	qctx, cancel := context.WithTimeout(ctx, cmpOrDur(t.QueryTimeout, 5*time.Second))
	defer cancel()
	v, err := t.Client.QueryWorkflow(qctx, h.WorkflowID, runID, workflows.QueryState)
	if err != nil {
		return
	}
	var w heldEntityWire
	if v.Get(&w) != nil {
		return
	}
	var parts []string
	if g := w.ExitGuard; g != nil && g.State == "held" {
		parts = append(parts, strings.TrimSuffix("exit held: "+g.Reason, ": "))
	}
	if g := w.RemovalGuard; g != nil && g.State == "held" {
		names := make([]string, 0, len(g.Revoke))
		for _, e := range g.Revoke {
			names = append(names, e.String())
		}
		h.Held = len(g.Revoke)
		parts = append(parts, strings.TrimSuffix("removal held: "+strings.Join(names, ", ")+"; "+g.Reason, "; "))
	}
	h.Reason = strings.Join(parts, "; ")
}

// HeldRuns lists the running reconciliations and rollouts waiting for approval, and the
// employee entities whose exit or removal of managed access waits for the tenant-wide
// guard; for a reconciliation it asks the progress query for the removals held and the
// guard's reason, for an entity its state.
func (t *Temporal) HeldRuns(ctx context.Context) ([]HeldRun, error) {
	infos, err := t.list(ctx, heldQuery, 1000)
	if err != nil {
		return nil, fmt.Errorf("list runs awaiting approval: %w", err)
	}
	out := make([]HeldRun, 0, len(infos))
	for _, in := range infos {
		h := HeldRun{WorkflowID: in.GetExecution().GetWorkflowId(), WorkflowType: in.GetType().GetName(), Started: in.GetStartTime().AsTime()}
		if h.WorkflowType == workflows.ReconcileWorkflowName {
			qctx, cancel := context.WithTimeout(ctx, cmpOrDur(t.QueryTimeout, 5*time.Second))
			if v, err := t.Client.QueryWorkflow(qctx, h.WorkflowID, in.GetExecution().GetRunId(), workflows.QueryReconcileProgress); err == nil {
				var p progressWire
				if v.Get(&p) == nil {
					h.Held = p.Held
					if p.Summary != nil {
						h.Reason = p.Summary.Guard.Reason
					}
				}
			}
			cancel()
		}
		if h.WorkflowType == workflows.EmployeeWorkflowName {
			t.heldEntity(ctx, &h, in.GetExecution().GetRunId())
		}
		out = append(out, h)
	}
	return out, nil
}

// list pages through visibility up to max executions.
func (t *Temporal) list(ctx context.Context, query string, max int) ([]*workflowpb.WorkflowExecutionInfo, error) {
	if t.Client == nil {
		return nil, errors.New("no Temporal client")
	}
	var out []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: t.Namespace, PageSize: 1000, NextPageToken: token, Query: query,
		})
		if err != nil {
			return out, err
		}
		out = append(out, resp.GetExecutions()...)
		token = resp.GetNextPageToken()
		if len(token) == 0 || len(out) >= max {
			return out, nil
		}
	}
}

func (t *Temporal) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// executionStatus is the execution status as the Temporal UI spells it ("Running", ...).
func executionStatus(in *workflowpb.WorkflowExecutionInfo) string {
	s := in.GetStatus().String()
	// enums render as WORKFLOW_EXECUTION_STATUS_RUNNING in older API versions and as
	// "Running" in newer ones; accept both.
	if rest, ok := strings.CutPrefix(s, "WORKFLOW_EXECUTION_STATUS_"); ok {
		parts := strings.Split(strings.ToLower(rest), "_")
		for i, p := range parts {
			if p != "" {
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
		s = strings.Join(parts, "")
	}
	return s
}

func payload(in *workflowpb.WorkflowExecutionInfo, name string) *commonpb.Payload {
	return in.GetSearchAttributes().GetIndexedFields()[name]
}

func keyword(in *workflowpb.WorkflowExecutionInfo, name string) string {
	p := payload(in, name)
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		// A keyword list (rare) decodes as a slice; take its first value.
		var l []string
		if converter.GetDefaultDataConverter().FromPayload(p, &l) == nil && len(l) > 0 {
			return l[0]
		}
		return ""
	}
	return s
}

func datetime(in *workflowpb.WorkflowExecutionInfo, name string) time.Time {
	p := payload(in, name)
	if p == nil {
		return time.Time{}
	}
	var t time.Time
	if err := converter.GetDefaultDataConverter().FromPayload(p, &t); err != nil {
		return time.Time{}
	}
	return t
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func cmpOrDur(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}
