package workflows

import (
	"strings"
	"testing"
)

// The substitute (ICT) replaces a sales lead: from the start the substitute
// holds the sales lead's role entitlements, tracked as replacement:r-1;
// extended, then ended early; revocation keeps what the substitute holds on
// their own account (All Staff, SPE_E3, ICT Admins).
func TestReplacementExtendedThenEndedEarly(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "piet.jansen@contoso.example"
	h.setEmployee(person("1002", "Piet", "", "Jansen", contract("1002-1", "2025-01-01", "", "ICT", "F045", "Systeembeheerder", managerID)))
	h.setEmployee(person("1003", "Sara", "", "Smit", contract("1003-1", "2024-01-01", "", "Sales", "M01", "Sales lead", managerID)))

	var self, rep, ext, end, late *updateResult
	h.when(at("2026-03-02", 9, 0), func() {
		self = h.update(UpdateReplace, ReplaceRequest{ReplacementID: "r-1", ReplacedEmployeeID: "1002"})
		rep = h.update(UpdateReplace, ReplaceRequest{ReplacementID: "r-1", ReplacedEmployeeID: "1003", From: "2026-03-09", Until: "2026-03-20"})
	})
	h.when(at("2026-03-02", 9, 1), func() {
		if !self.done || self.err == nil || !strings.Contains(self.err.Error(), "themselves") {
			t.Errorf("self-replacement not rejected: %+v", self)
		}
		st := rep.out
		if !rep.done || rep.err != nil || st.State != ReplacementScheduled || !st.Start.Equal(at("2026-03-09", 0, 0)) || !st.End.Equal(at("2026-03-21", 0, 0)) {
			t.Errorf("replace: %+v", rep)
		}
	})
	h.when(at("2026-03-09", 1, 0), func() {
		g := h.sim.UserGroups(upn)
		if !has(g, "Sales") || !has(g, "Sales Leadership") || !has(g, "ICT Admins") || len(h.sim.UserAppRoleAssignments(upn)) != 1 {
			t.Errorf("during the replacement: %v", g)
		}
		st := h.state()
		var sources []string
		for _, e := range st.Entitlements {
			if e.Name == "Sales Leadership" {
				sources = append(sources, e.Source)
			}
		}
		if len(sources) != 1 || sources[0] != "replacement:r-1" {
			t.Errorf("Sales Leadership held through %v", sources)
		}
		ext = h.update(UpdateExtend, ExtendRequest{ReplacementID: "r-1", Until: "2026-04-30"})
	})
	h.when(at("2026-03-09", 1, 1), func() {
		if r := ext.out; !ext.done || ext.err != nil || !r.End.Equal(at("2026-05-01", 0, 0)) || r.State != ReplacementActive {
			t.Errorf("extend: %+v", ext)
		}
	})
	h.when(at("2026-03-22", 9, 0), func() {
		if g := h.sim.UserGroups(upn); !has(g, "Sales Leadership") {
			t.Errorf("the extension was not honoured: %v", g)
		}
		end = h.update(UpdateEndReplacement, EndReplacementRequest{ReplacementID: "r-1"})
	})
	h.when(at("2026-03-22", 9, 1), func() {
		if r := end.out; !end.done || end.err != nil || r.State != ReplacementEnded || !r.End.Equal(at("2026-03-22", 9, 0)) {
			t.Errorf("end early: %+v", end)
		}
		g := h.sim.UserGroups(upn)
		if has(g, "Sales") || has(g, "Sales Leadership") || len(h.sim.UserAppRoleAssignments(upn)) != 0 {
			t.Errorf("after the end: %v", g)
		}
		if !has(g, "ICT Admins") || !has(g, "All Staff") || !has(h.sim.UserLicenses(upn), "SPE_E3") {
			t.Errorf("own access was revoked: %v %v", g, h.sim.UserLicenses(upn))
		}
		late = h.update(UpdateExtend, ExtendRequest{ReplacementID: "r-1", Until: "2026-06-01"})
	})
	h.when(at("2026-03-22", 9, 2), func() {
		if !late.done || late.err == nil {
			t.Errorf("extending an ended replacement was accepted: %+v", late)
		}
	})
	h.run("1002", at("2026-03-23", 0, 0))
}

// The substitute's exit ends the replacement: everything managed goes, and
// the replacement is recorded as ended.
func TestSubstituteExitsMidReplacement(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "piet.jansen@contoso.example"
	h.setEmployee(person("1002", "Piet", "", "Jansen", contract("1002-1", "2025-01-01", "2026-03-13", "ICT", "F045", "Systeembeheerder", managerID)))
	h.setEmployee(person("1003", "Sara", "", "Smit", contract("1003-1", "2024-01-01", "", "Sales", "M01", "Sales lead", managerID)))
	h.when(at("2026-03-02", 9, 0), func() {
		h.update(UpdateReplace, ReplaceRequest{ReplacementID: "r-2", ReplacedEmployeeID: "1003", Until: "2026-04-30"})
	})
	h.when(at("2026-03-02", 9, 1), func() {
		if g := h.sim.UserGroups(upn); !has(g, "Sales Leadership") {
			t.Errorf("replacement not started: %v", g)
		}
	})
	h.when(at("2026-03-13", 17, 30), func() {
		if g := h.sim.UserGroups(upn); len(g) != 0 || len(h.sim.UserAppRoleAssignments(upn)) != 0 {
			t.Errorf("after the substitute's exit: %v", g)
		}
		st := h.state()
		if st.Status != StatusLeft || len(st.Replacements) != 1 || st.Replacements[0].State != ReplacementEnded ||
			!st.Replacements[0].End.Equal(at("2026-03-13", 17, 0)) {
			t.Errorf("state: %s %+v", st.Status, st.Replacements)
		}
		for _, tm := range st.Timers {
			if strings.HasPrefix(tm.What, "replacement") {
				t.Errorf("replacement timer left: %+v", tm)
			}
		}
	})
	h.run("1002", at("2026-03-14", 0, 0))
}
