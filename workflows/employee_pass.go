package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// changeLatePass versions the Temporary Access Pass an entity issues when
// the manager's account appears after the start (latePass).
const changeLatePass = "late-pass"

// latePassWindow bounds how long after the start a pass that could not be
// handed over is still issued once the manager's account appears: a new
// starter who has worked longer has found another way in.
const latePassWindow = 30 * 24 * time.Hour

// latePass issues the Temporary Access Pass that the hire (or activation)
// could not hand over because the manager had no account yet, now that the
// manager is linked: the account is enabled, no pass was delivered, and the
// start was less than latePassWindow ago. The engine does not read sign-in
// activity (it needs AuditLog.Read.All and an Entra ID P1 licence); a pass
// never delivered is its sign that the account is still unused.
func (e *entity) latePass(ctx workflow.Context, now time.Time) {
	st, p := e.st, e.pol
	if st.Status != StatusActive || !p.Lifecycle.TemporaryAccessPass || st.ManagerObjectID == "" ||
		st.Pass == nil || st.Pass.Issued || st.ActivatedAt == nil || now.Sub(*st.ActivatedAt) > latePassWindow {
		return
	}
	if workflow.GetVersion(ctx, changeLatePass, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	displayName := st.UPN
	if st.Names != nil {
		displayName = st.Names.DisplayName
	}
	st.Pass = issuePass(ctx, st.EmployeeID, st.ObjectID, displayName, st.UPN, st.ManagerObjectID)
	workflow.GetLogger(ctx).Info("Temporary Access Pass handed over once the manager's account appeared",
		"employeeId", st.EmployeeID, "issued", st.Pass.Issued, "reason", st.Pass.Reason)
}
