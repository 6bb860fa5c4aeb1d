// Package entityaddr is the one place that says how an employee's entity
// workflow is reached from outside it: its workflow id and type, the
// signal, update and query names, the payloads they carry, the options a new
// entity starts with, and the two deliveries (Signal-With-Start of an HR
// change, Update-With-Start of a reconciliation's work). The webhook and the
// CLI (through internal/dispatch), dev-mode sync, and reconciliation's
// activities all address the entities through it, and the workflows package
// takes its names from it.
//
// It is a leaf: it imports the HR model and the Temporal client SDK, never
// the workflows or activities. The names are part of running workflows'
// histories and must not change.
package entityaddr

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/hr"
)

// Names of the entity workflow and of what it answers.
const (
	// WorkflowType is the entity's registered workflow name.
	WorkflowType = "Employee"
	// IDPrefix + employee id is the entity's workflow id.
	IDPrefix = "employee/"
	// SignalHRChanged tells an entity that the employee's HR record changed
	// (payload HRChanged); sent with Signal-With-Start.
	SignalHRChanged = "hr-changed"
	// UpdateReconcile delivers a reconciliation's work to an entity (payload
	// ReconcileRequest) and answers, after the entity's pass, with what the
	// entity confirms it did (ReconcileOutcome); sent with Update-With-Start.
	UpdateReconcile = "reconcile"
	// QueryState is the query every long-running workflow, the entity among
	// them, answers with its current state.
	QueryState = "state"
	// SearchAttribute is the Keyword search attribute carrying the employee id.
	SearchAttribute = "EmployeeId"
)

// EmployeeIDKey is the typed key of SearchAttribute.
var EmployeeIDKey = temporal.NewSearchAttributeKeyKeyword(SearchAttribute)

// WorkflowID is the id of an employee's entity workflow: employee/<employeeId>.
func WorkflowID(employeeID string) string { return IDPrefix + employeeID }

// HRChanged is the payload of SignalHRChanged. When Employee is nil the
// entity re-reads the employee from the HR source, so late or duplicate
// deliveries are harmless.
type HRChanged struct {
	Reason   string       `json:"reason,omitempty"`
	Source   string       `json:"source,omitempty"`
	Employee *hr.Employee `json:"employee,omitempty"`
}

// Start is the input a new entity is started with: its JSON form is the
// entity's input (workflows.EmployeeInput) without carried state.
type Start struct {
	EmployeeID string `json:"employeeId"`
}

// ReconcileRequest is the payload of UpdateReconcile.
type ReconcileRequest struct {
	// Action is the plan's action (hire, rehire, move, exit).
	Action string `json:"action"`
	// Source names the reconciliation run.
	Source string `json:"source,omitempty"`
	// Approved names the approval of a reconciliation whose own guard
	// tripped: the tenant-wide guard counts the exit but does not hold it
	// a second time.
	Approved string `json:"approved,omitempty"`
}

// ReconcileOutcome is the entity's answer to UpdateReconcile, after the pass
// that acted on it: Applied only when the entity confirms that the account
// is where the action wanted it; otherwise Reason says why not.
type ReconcileOutcome struct {
	EmployeeID string `json:"employeeId"`
	Applied    bool   `json:"applied"`
	// Waiting is true when the action waits for approval by the
	// mass-change guard (not failed, not done).
	Waiting  bool   `json:"waiting,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Status   string `json:"status"`
	ObjectID string `json:"objectId,omitempty"`
	// AccountNote says what the entity found in the directory, when it
	// restored, recreated or adopted the account.
	AccountNote string `json:"accountNote,omitempty"`
}

// Target is how a reconciliation run reaches the entities: the parts that
// belong to the run (the names are this package's constants). Its JSON form
// is part of the reconciliation activities' input.
type Target struct {
	// TaskQueue is where a new entity runs.
	TaskQueue string `json:"taskQueue"`
	// Source names the run (ReconcileRequest.Source and the update id).
	Source string `json:"source,omitempty"`
	// Approved names the approval of a run whose own guard tripped (see
	// ReconcileRequest.Approved).
	Approved string `json:"approved,omitempty"`
	// StateQuery, when set, is the entity's state query, whose appliedView
	// the planner compares with HR to tell a hand edit from an HR change;
	// empty leaves every attribute difference a move.
	StateQuery string `json:"stateQuery,omitempty"`
}

// StartOptions are the options of a new entity workflow. A finished entity
// (an employee who was deleted) may be started again under the same id: a
// rehire after deletion.
func StartOptions(employeeID, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    WorkflowID(employeeID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(EmployeeIDKey.ValueSet(employeeID)),
	}
}

// Signaller is what SignalWithStart needs of a Temporal client.
type Signaller interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
		options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
}

// SignalWithStart tells the employee's entity that their HR record changed,
// starting the entity when it does not run (Signal-With-Start). It returns
// the workflow id.
func SignalWithStart(ctx context.Context, c Signaller, taskQueue, employeeID string, ch HRChanged) (string, error) {
	opts := StartOptions(employeeID, taskQueue)
	if _, err := c.SignalWithStartWorkflow(ctx, opts.ID, SignalHRChanged, ch, opts, WorkflowType, Start{EmployeeID: employeeID}); err != nil {
		return "", fmt.Errorf("signal %s: %w", opts.ID, err)
	}
	return opts.ID, nil
}

// Updater is what UpdateWithStart needs of a Temporal client.
type Updater interface {
	NewWithStartWorkflowOperation(options client.StartWorkflowOptions, workflow any, args ...any) client.WithStartWorkflowOperation
	UpdateWithStartWorkflow(ctx context.Context, options client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// UpdateID is the update id of a reconciliation's action for one employee:
// one id per run, action and employee, so a retried delivery gets the same
// answer instead of another pass.
func UpdateID(source, action, employeeID string) string {
	return source + "/" + action + "/" + employeeID
}

// UpdateWithStart delivers a reconciliation's action to the employee's
// entity (starting the entity when it does not run, using it when it does)
// and waits for the entity's answer after its pass.
func UpdateWithStart(ctx context.Context, c Updater, t Target, employeeID string, req ReconcileRequest) (ReconcileOutcome, error) {
	opts := StartOptions(employeeID, t.TaskQueue)
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	start := c.NewWithStartWorkflowOperation(opts, WorkflowType, Start{EmployeeID: employeeID})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     UpdateID(t.Source, req.Action, employeeID),
			UpdateName:   UpdateReconcile,
			Args:         []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var out ReconcileOutcome
	if err == nil {
		err = h.Get(ctx, &out)
	}
	if err != nil {
		return out, fmt.Errorf("deliver to %s: %w", opts.ID, err)
	}
	return out, nil
}
