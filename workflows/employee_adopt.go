package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// versionEntityLocalReads marks the change that makes a new run of the entity read
// the policy and the employee's HR record, and a new entity look its hire up, as
// local activities in its own
// workflow task: an entity whose account is already in line (the engine's first
// start on a tenant that has its accounts) then settles in one workflow task,
// with no Hire child, and any other hire is started with the lookup done
// (HireInput.Looked). Decided once per run, at its start.
const versionEntityLocalReads = "entity-local-reads"

// EventAdopt is the lifecycle event of an entity that found its employee's
// account already in line and took it over without writing anything.
const EventAdopt = "adopt"

// localReads is for the reads an entity makes in its own workflow task: short,
// retried quickly; a lookup that keeps failing leaves the work to the Hire child
// and its own retries.
func localReads(ctx workflow.Context, scheduleToClose time.Duration) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: scheduleToClose,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// lookUpForHire runs the hire's lookup in the entity's workflow task, for a new
// entity only (no account of an earlier employment to restore: the lookup then
// writes nothing). It returns nil when the lookup is not made here or failed; the
// Hire child then looks the account up itself.
func (e *entity) lookUpForHire(ctx workflow.Context, in HireInput) *activities.LookUpHireResult {
	if !e.localReads || e.st.Status != StatusNew || in.KnownObjectID != "" {
		return nil
	}
	spec := in.Spec
	names, err := policy.Naming.Names(in.Naming, in.Person, in.Domain)
	if err != nil {
		return nil // the Hire child reports it
	}
	spec.GivenName, spec.Surname, spec.DisplayName = names.GivenName, names.Surname, names.DisplayName
	held := hr.WorkContact{}
	if emp := e.st.Employee; emp != nil {
		held = hr.WorkContact{Email: emp.WorkEmail, UPN: emp.UPN}
	}
	var look activities.LookUpHireResult
	if err := workflow.ExecuteLocalActivity(localReads(ctx, 2*time.Minute), a.LookUpHire, activities.LookUpHireInput{
		EmployeeID: in.EmployeeID, ManagerEmployeeID: in.ManagerEmployeeID,
		Person: in.Person, Naming: in.Naming, Domain: in.Domain,
		Holdings: true, Entitlements: in.Entitlements, Spec: spec, Fields: hireFields(), HRHolds: &held,
	}).Get(ctx, &look); err != nil {
		workflow.GetLogger(ctx).Info("the hire looks the account up itself", "employeeId", in.EmployeeID, "error", err)
		return nil
	}
	return &look
}

// adoptedInPlace is the hire's result for an account the lookup found already in
// line with what the hire asks, or false when the hire has something to write:
// the account found by employee id (not created, not restored) holds every
// attribute, entitlement and the manager the hire would set, is enabled exactly
// when the hire would enable it (so no Temporary Access Pass is due), and HR
// already holds its addresses (or takes none back).
func adoptedInPlace(in HireInput, look *activities.LookUpHireResult) (HireResult, bool) {
	if look == nil || !look.Account.Found || look.Account.Created || look.Account.Restored {
		return HireResult{}, false
	}
	h := look.Holdings
	switch {
	case h == nil, !h.AttributesInLine, len(h.Missing) > 0, look.WriteBackNeeded:
		return HireResult{}, false
	case look.Account.Enabled != in.Enable:
		return HireResult{}, false
	case in.ManagerEmployeeID != "" && (!look.ManagerFound || !strings.EqualFold(h.ManagerObjectID, look.ManagerObjectID)):
		return HireResult{}, false
	}
	names, err := policy.Naming.Names(in.Naming, in.Person, in.Domain)
	if err != nil {
		return HireResult{}, false
	}
	// The account keeps the addresses people already sign in and receive mail with.
	names.UPN, names.MailNickname = look.Account.UPN, look.Account.MailNickname
	res := HireResult{
		Account: look.Account, Names: names, Enabled: in.Enable, AddressAdopted: true,
		Granted:   in.Entitlements,
		Warnings:  addWarnings(addWarnings(nil, look.Account.Warnings...), h.Warnings...),
		WriteBack: &activities.WriteBackResult{Note: "nothing to write back: HR holds the work address already or takes none"},
	}
	if in.ManagerEmployeeID != "" {
		res.ManagerObjectID = look.ManagerObjectID
	}
	return res, true
}

// recordAdoption appends the adoption of an account, with the access it held, to the audit
// trail (RecordAdoption, a local activity: it writes to the trail, not to the directory). A
// trail that cannot be written within minutes does not undo the adoption: the account is in
// line either way, and the failure is logged.
func recordAdoption(ctx workflow.Context, in HireInput, objectID string, held []policy.Entitlement, reason string) {
	err := workflow.ExecuteLocalActivity(localReads(ctx, 10*time.Minute), a.RecordAdoption, activities.RecordAdoptionInput{
		EmployeeID: in.EmployeeID, ObjectID: objectID, Held: held, Sources: in.Sources, Reason: reason,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("the adoption is not in the audit trail", "employeeId", in.EmployeeID, "objectId", objectID, "error", err)
	}
}
