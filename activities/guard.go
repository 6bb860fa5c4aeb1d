package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// GuardPermitRequest asks the tenant-wide mass-change guard for leave to
// take an employee's access away: an exit, or the removal of managed access
// outside an exit (a transfer). It is the payload of the guard workflow's
// permit update.
type GuardPermitRequest struct {
	EmployeeID string `json:"employeeId"`
	// Kind is what the permit is for: "exit" or "removal". Exits and
	// removals have separate budgets.
	Kind string `json:"kind"`
	// Reason is shown to the approver (e.g. "left on 2026-03-01").
	Reason string `json:"reason,omitempty"`
	// Ref identifies the change asked for (a removal's signature): a
	// repeated request with the same Ref gets the same answer; empty for an
	// exit (one per employee).
	Ref string `json:"ref,omitempty"`
	// Managed is the number of accounts the engine manages now (entities
	// with an account); the activity fills it in.
	Managed int `json:"managed"`
	// MaxDisablePercent and Window are the policy's guard settings, as the
	// asking entity knows them; the guard applies the latest it is given.
	MaxDisablePercent float64 `json:"maxDisablePercent"`
	Window            string  `json:"window,omitempty"`
	// MaxRemovalPercent is the policy's removal budget (kind "removal").
	MaxRemovalPercent float64 `json:"maxRemovalPercent,omitempty"`
	// PreApproved names an approval already given for this exit or removal
	// (an approved reconciliation or policy rollout whose own guard tripped):
	// the guard grants it and counts it in the window.
	PreApproved string `json:"preApproved,omitempty"`
}

// GuardPermitAnswer is the guard's answer: Granted, or Held until a person
// approves or rejects it.
type GuardPermitAnswer struct {
	Granted bool   `json:"granted"`
	Held    bool   `json:"held"`
	Reason  string `json:"reason,omitempty"`
	// Used and Budget describe the window when the answer was given.
	Used   int `json:"used"`
	Budget int `json:"budget"`
}

// GuardTarget says how to reach the guard workflow and count the managed
// accounts: the workflow package owns these names and passes them in.
type GuardTarget struct {
	WorkflowID   string `json:"workflowId"`
	WorkflowType string `json:"workflowType"`
	Update       string `json:"update"`
	TaskQueue    string `json:"taskQueue"`
	// ManagedQuery is a visibility query counting the entities that hold
	// an account; empty leaves Managed as given.
	ManagedQuery string `json:"managedQuery,omitempty"`
	// UpdateID deduplicates a retried request.
	UpdateID string `json:"updateId,omitempty"`
}

// RequestExitPermitInput is RequestExitPermit's input.
type RequestExitPermitInput struct {
	Target  GuardTarget        `json:"target"`
	Request GuardPermitRequest `json:"request"`
}

// guardClient is what asking the guard needs of a Temporal client.
type guardClient interface {
	CountWorkflow(ctx context.Context, request *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error)
	NewWithStartWorkflowOperation(options client.StartWorkflowOptions, workflow any, args ...any) client.WithStartWorkflowOperation
	UpdateWithStartWorkflow(ctx context.Context, options client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// guardAnswerTimeout bounds one wait for the guard's answer; the activity
// is retried after it.
const guardAnswerTimeout = 30 * time.Second

// RequestExitPermit counts the managed accounts (a visibility count of the
// entities holding an account) and asks the guard workflow, starting it
// when it does not run (Update-With-Start), whether an exit (or, by the
// request's Kind, a removal of managed access) may go ahead. Without a
// Temporal client it fails: nothing is let through unguarded.
func (a *Activities) RequestExitPermit(ctx context.Context, in RequestExitPermitInput) (GuardPermitAnswer, error) {
	var c guardClient
	if tc := temporalClient(ctx); tc != nil {
		c = tc
	}
	if c == nil {
		return GuardPermitAnswer{}, permanent("ask the mass-change guard", ErrTypeInvalidInput, errors.New("no Temporal client on this worker"))
	}
	return askGuard(ctx, c, in)
}

func askGuard(ctx context.Context, c guardClient, in RequestExitPermitInput) (GuardPermitAnswer, error) {
	t, req := in.Target, in.Request
	if t.ManagedQuery != "" {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: t.ManagedQuery})
		if err != nil {
			return GuardPermitAnswer{}, fmt.Errorf("count the managed accounts: %w", err)
		}
		req.Managed = int(resp.GetCount())
	}
	wctx, cancel := context.WithTimeout(ctx, guardAnswerTimeout)
	defer cancel()
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       t.WorkflowID,
		TaskQueue:                t.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, t.WorkflowType, struct{}{})
	h, err := c.UpdateWithStartWorkflow(wctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: t.UpdateID, UpdateName: t.Update, Args: []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var ans GuardPermitAnswer
	if err == nil {
		err = h.Get(wctx, &ans)
	}
	if err != nil {
		return GuardPermitAnswer{}, fmt.Errorf("ask the mass-change guard for %s: %s", req.EmployeeID, strings.TrimSpace(err.Error()))
	}
	return ans, nil
}
