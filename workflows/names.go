// Package workflows holds the deterministic orchestration of the lifecycle engine:
// the employee entity workflow, one child workflow per lifecycle event, reconciliation
// and policy rollout. Workflow code does no I/O and reads no clock; every side effect
// runs in an activity.
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/entityaddr"
)

// Task queue, workflow, signal, query and update names: the one place they are
// spelled, except how the employee entity is addressed from outside, which
// internal/entityaddr spells and these names take from it.
const (
	// DefaultTaskQueue is the task queue the worker polls unless LIFECYCLE_TASK_QUEUE says otherwise.
	DefaultTaskQueue = "lifecycle"

	// PingWorkflowName is the registered name of the health-check workflow.
	PingWorkflowName = "Ping"

	// QueryState is the query every long-running workflow answers with its current state.
	QueryState = entityaddr.QueryState

	// EmployeeWorkflowName is the registered name of the employee entity workflow.
	EmployeeWorkflowName = entityaddr.WorkflowType
	// HireWorkflowName finds or creates an account and grants the birthright access.
	HireWorkflowName = "Hire"
	// ActivateWorkflowName enables an account created ahead of the start moment.
	ActivateWorkflowName = "Activate"
	// MoveWorkflowName applies a promotion, transfer or entitlement change.
	MoveWorkflowName = "Move"
	// RenameWorkflowName applies a personal data change.
	RenameWorkflowName = "Rename"
	// ReplaceWorkflowName grants or revokes a temporary replacement's entitlements.
	ReplaceWorkflowName = "Replace"
	// ExitWorkflowName ends access at the leave moment.
	ExitWorkflowName = "Exit"
	// DeleteWorkflowName deletes a leaver's account after the retention period.
	DeleteWorkflowName = "Delete"
	// PolicyRolloutWorkflowName rolls a changed policy out to every affected employee.
	PolicyRolloutWorkflowName = "PolicyRollout"
	// PolicyRolloutWorkflowIDPrefix starts the id of a rollout started from the
	// CLI ("policy-rollout/<unix nanoseconds>").
	PolicyRolloutWorkflowIDPrefix = "policy-rollout/"
	// GuardWorkflowName is the tenant-wide mass-change guard that every exit asks.
	GuardWorkflowName = "LifecycleGuard"
	// GuardWorkflowID is the id of the one guard workflow.
	GuardWorkflowID = "lifecycle-guard"

	// SignalHRChanged tells an entity that the employee's HR record changed
	// (payload HRChanged); sent with Signal-With-Start.
	SignalHRChanged = entityaddr.SignalHRChanged
	// SignalReportWaiting tells a manager's entity that a report waits for the
	// manager's account (payload ReportWaiting).
	SignalReportWaiting = "report-waiting"
	// SignalApprove releases a policy rollout paused by the mass-change guard.
	SignalApprove = "approve"
	// SignalReject cancels a policy rollout paused by the mass-change guard.
	SignalReject = "reject"
	// SignalGuardDecision tells an entity whose exit the guard held that a
	// person approved or rejected it (payload GuardDecision).
	SignalGuardDecision = "guard-decision"
	// SignalRemovalApproval carries an approved policy rollout's approval to an
	// entity, ahead of its removal (payload GuardDecision with Ahead). It is not
	// guard-decision so that an entity running code from before it, which would
	// take it for a decision on a removal it holds, never reads it.
	SignalRemovalApproval = "removal-approval"
	// SignalGuardWithdraw tells the guard that a held exit is no longer
	// due (payload GuardWithdraw).
	SignalGuardWithdraw = "guard-withdraw"

	// UpdateReplace starts a temporary replacement (payload ReplaceRequest),
	// sent to the substitute's entity.
	UpdateReplace = "replace"
	// UpdateExtend moves a replacement's end (payload ExtendRequest).
	UpdateExtend = "extend"
	// UpdateEndReplacement ends a replacement now or at a given moment
	// (payload EndReplacementRequest).
	UpdateEndReplacement = "end-replacement"
	// UpdateReconcile delivers a reconciliation's work to an entity (payload
	// ReconcileRequest) and answers, after the entity's pass, with what the
	// entity confirms it did (ReconcileOutcome); sent with Update-With-Start.
	UpdateReconcile = entityaddr.UpdateReconcile
	// UpdateGuardPermit asks the guard for leave to exit an employee
	// (payload activities.GuardPermitRequest, answer GuardPermitAnswer).
	UpdateGuardPermit = "guard-permit"
	// UpdateGuardDecide approves or rejects held exits (payload
	// GuardDecideRequest, answer GuardDecideResult).
	UpdateGuardDecide = "guard-decide"
)

// Reasons carried by HRChanged.
const (
	// ReasonPolicyChanged makes the entity reload the policy and apply it.
	ReasonPolicyChanged = "policy-changed"
	// ReasonManagerReady tells a report's entity that its manager's account exists.
	ReasonManagerReady = "manager-ready"
)

// Lifecycle events (the LifecycleEvent search attribute and child workflow ids).
const (
	EventHire     = "hire"
	EventRehire   = "rehire"
	EventActivate = "activate"
	EventMove     = "move"
	EventRename   = "rename"
	EventReplace  = "replace"
	EventExit     = "exit"
	EventDelete   = "delete"
	// EventRecreate restores or creates again an account that vanished from
	// the directory.
	EventRecreate    = "recreate"
	EventHRChanged   = "hr-changed"
	EventReplacement = "replacement"
)

// EntityStatus is where an employee's entity stands: its state's status and
// the value of the LifecycleStatus search attribute (the words never change:
// they are in recorded histories and in operators' saved queries).
type EntityStatus string

// Entity statuses.
const (
	StatusNew     EntityStatus = "new"
	StatusPreHire EntityStatus = "pre-hire"
	StatusActive  EntityStatus = "active"
	StatusLeft    EntityStatus = "left"
	StatusDeleted EntityStatus = "deleted"
	StatusFailed  EntityStatus = "failed"
	// StatusAccountMissing: the account the entity held is gone from the
	// directory; the entity restores or recreates it on its next step.
	StatusAccountMissing EntityStatus = "account-missing"
	// StatusAwaitingApproval: a removal waits for a person's decision at
	// the mass-change guard.
	StatusAwaitingApproval EntityStatus = "awaiting-approval"
)

// RunStatus is where a reconciliation, a policy rollout or the lifecycle
// guard stands: the LifecycleStatus search attribute of those workflows and
// the status of a rollout's result. "awaiting-approval" is the same word as
// the entity's, so one Temporal UI filter lists everything a person must
// decide on.
type RunStatus string

// Run statuses.
const (
	RunRunning          RunStatus = "running"
	RunAwaitingApproval RunStatus = "awaiting-approval"
	RunDone             RunStatus = "done"
	RunRejected         RunStatus = "rejected"
	RunFailed           RunStatus = "failed"
)

// ErrTypeReplacementNotRunning is the error type of an update to a
// replacement that is not running.
const ErrTypeReplacementNotRunning = "ReplacementNotRunning"

// Search attribute names, registered by dev mode and documented for clusters.
const (
	// SAEmployeeID is the HR employee id.
	SAEmployeeID      = entityaddr.SearchAttribute
	SALifecycleEvent  = "LifecycleEvent"
	SADepartment      = "Department"
	SALifecycleStatus = "LifecycleStatus"
	SAEffectiveDate   = "EffectiveDate"
)

// Typed search attribute keys for use inside workflows.
var (
	EmployeeIDKey      = entityaddr.EmployeeIDKey
	LifecycleEventKey  = temporal.NewSearchAttributeKeyKeyword(SALifecycleEvent)
	DepartmentKey      = temporal.NewSearchAttributeKeyKeyword(SADepartment)
	LifecycleStatusKey = temporal.NewSearchAttributeKeyKeyword(SALifecycleStatus)
	EffectiveDateKey   = temporal.NewSearchAttributeKeyTime(SAEffectiveDate)
)

// SearchAttributes returns the custom search attributes the engine needs, by name and type.
// The slice order is fixed so callers that register them behave the same on every run.
func SearchAttributes() []SearchAttribute {
	return []SearchAttribute{
		{Name: SAEmployeeID, Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: SALifecycleEvent, Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: SADepartment, Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: SALifecycleStatus, Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: SAEffectiveDate, Type: enumspb.INDEXED_VALUE_TYPE_DATETIME},
	}
}

// SearchAttribute is one custom search attribute: its name and indexed value type.
type SearchAttribute struct {
	Name string
	Type enumspb.IndexedValueType
}

// EmployeeWorkflowID is the id of an employee's entity workflow: employee/<employeeId>.
func EmployeeWorkflowID(employeeID string) string { return entityaddr.WorkflowID(employeeID) }
