package workflows

import (
	"testing"

	"github.com/entralifecycle/engine/internal/hr"
)

// An exit planned for Friday is cancelled when HR extends the contract
// before the leave moment; at the new leave moment access ends (disabled,
// sessions revoked, managed access removed, leave date set, manager told) and
// the account is deleted after the retention period.
func TestExitCancelledByContractExtensionThenExitAndDelete(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "jan.devries@contoso.example"
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "2026-03-06", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	var objectID string
	h.when(at("2026-03-02", 9, 0), func() {
		st := h.state()
		objectID = st.ObjectID
		if st.Status != StatusActive || !hasTimer(st, "leave: disable the account", at("2026-03-06", 17, 0)) {
			t.Errorf("status %s timers %+v", st.Status, st.Timers)
		}
		// Unmanaged access the engine must never remove.
		gid, _ := h.sim.GroupID("Unmanaged Club")
		if err := h.dir.AddGroupMember(t.Context(), gid, objectID); err != nil {
			t.Fatal(err)
		}
	})
	h.when(at("2026-03-04", 12, 0), func() {
		ext := jan.Clone()
		end := hr.MustParseDate("2026-04-30")
		ext.Contracts[0].End = &end
		h.setEmployee(ext)
		h.signal(nil) // a notification: the entity re-reads HR
	})
	h.when(at("2026-03-07", 9, 0), func() {
		if u := h.user(upn); !boolOf(u, "accountEnabled") || h.sim.SignInRevocations(upn) != 0 {
			t.Errorf("the cancelled exit still ran: %v", u)
		}
		if st := h.state(); !hasTimer(st, "leave: disable the account", at("2026-04-30", 17, 0)) {
			t.Errorf("leave not re-planned: %+v", st.Timers)
		}
	})
	h.when(at("2026-04-30", 16, 59), func() {
		if !boolOf(h.user(upn), "accountEnabled") {
			t.Error("disabled before the leave moment")
		}
	})
	h.when(at("2026-04-30", 17, 1), func() {
		u := h.user(upn)
		if boolOf(u, "accountEnabled") {
			t.Fatal("still enabled after the leave moment")
		}
		if h.sim.SignInRevocations(upn) != 1 {
			t.Errorf("revocations = %d", h.sim.SignInRevocations(upn))
		}
		if g := h.sim.UserGroups(upn); len(g) != 1 || g[0] != "Unmanaged Club" {
			t.Errorf("groups after exit = %v, want only the unmanaged one", g)
		}
		if l := h.sim.UserLicenses(upn); len(l) != 0 {
			t.Errorf("licences after exit = %v", l)
		}
		if str(u, "employeeLeaveDateTime") != "2026-04-30T15:00:00Z" {
			t.Errorf("employeeLeaveDateTime = %q", str(u, "employeeLeaveDateTime"))
		}
		st := h.state()
		if st.Status != StatusLeft || len(st.Entitlements) != 0 || !hasTimer(st, "delete the account", at("2026-04-30", 17, 0).AddDate(0, 0, 30)) {
			t.Errorf("state after exit: %s %+v %+v", st.Status, st.Entitlements, st.Timers)
		}
	})
	h.when(at("2026-05-30", 18, 0), func() {
		if h.user(upn) != nil {
			t.Error("account not deleted after the retention period")
		}
		if _, ok := h.sim.DeletedUser(objectID); !ok {
			t.Error("account not in deleted items")
		}
		if st := h.state(); st.Status != StatusDeleted {
			t.Errorf("status %s", st.Status)
		}
	})
	h.run("1001", at("2026-06-01", 0, 0))
}

// A rehire within the retention period finds the disabled account, restores
// its access and re-enables it at the new start; the pending deletion is
// cancelled.
func TestRehireWithinRetention(t *testing.T) {
	h, jan, objectID := janLeaving(t)
	const upn = "jan.devries@contoso.example"
	h.when(at("2026-03-10", 9, 0), func() {
		if boolOf(h.user(upn), "accountEnabled") {
			t.Fatal("not disabled after leaving")
		}
		back := jan.Clone()
		back.Contracts = append(back.Contracts, contract("1001-2", "2026-03-23", "", "Sales", "S10", "Accountmanager", managerID))
		h.signal(&back) // an inline record
	})
	h.when(at("2026-03-10", 10, 0), func() {
		st := h.state()
		if st.Status != StatusPreHire || st.ObjectID != *objectID || st.LastEvent != EventRehire {
			t.Errorf("after the rehire was planned: %s %s %s", st.Status, st.ObjectID, st.LastEvent)
		}
		if boolOf(h.user(upn), "accountEnabled") {
			t.Error("enabled before the new start")
		}
		if g := h.sim.UserGroups(upn); !has(g, "Sales") || has(g, "ICT Admins") {
			t.Errorf("groups for the new role: %v", g)
		}
		if str(h.user(upn), "employeeLeaveDateTime") != "" {
			t.Error("leave date not cleared on rehire")
		}
	})
	h.when(at("2026-03-23", 1, 0), func() {
		u := h.user(upn)
		if !boolOf(u, "accountEnabled") || str(u, "id") != *objectID {
			t.Errorf("rehired account: %v", u)
		}
	})
	h.when(at("2026-04-20", 9, 0), func() {
		if h.user(upn) == nil || h.state().Status != StatusActive {
			t.Error("the cancelled deletion ran")
		}
		if h.sim.UserCount() != 3 {
			t.Errorf("users = %d, want 3 (no second account)", h.sim.UserCount())
		}
	})
	h.run("1001", at("2026-04-21", 0, 0))
}

// janLeaving puts Jan de Vries (ICT since 2025, leaving Friday 2026-03-06)
// into HR of a harness that starts on Monday 2026-03-02 at 08:00, and keeps
// his account's object id once the hire has made it (09:00).
func janLeaving(t *testing.T) (h *harness, jan hr.Employee, objectID *string) {
	h = newHarness(t, at("2026-03-02", 8, 0), 0)
	jan = person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "2026-03-06", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	objectID = new(string)
	h.when(at("2026-03-02", 9, 0), func() { *objectID = h.state().ObjectID })
	return h, jan, objectID
}
