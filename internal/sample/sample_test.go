package sample

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/file"
)

func load(t *testing.T, today time.Time) hr.Snapshot {
	t.Helper()
	src, err := file.New(file.Config{}, file.WithLoader("sample", func(context.Context) ([]byte, error) { return HR(today) }))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestSampleLoadsCleanlyOnAnyDay(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	for _, today := range []time.Time{
		time.Date(2026, 1, 5, 10, 0, 0, 0, ams),
		time.Date(2027, 2, 28, 23, 30, 0, 0, ams),
		time.Date(2031, 7, 15, 0, 5, 0, 0, ams),
	} {
		t.Run(today.Format("2006-01-02"), func(t *testing.T) {
			snap := load(t, today)
			if len(snap.Rejected) != 0 || len(snap.Warnings) != 0 {
				t.Fatalf("rejected %v, warnings %v", snap.Rejected, snap.Warnings)
			}
			if len(snap.Employees) < 40 {
				t.Errorf("%d employees, want at least 40", len(snap.Employees))
			}
			day := hr.DateOf(today)
			view := func(id string) hr.View {
				e, ok := snap.Find(id)
				if !ok {
					t.Fatalf("employee %s missing", id)
				}
				return e.ViewAt(today, ams)
			}
			depts := map[string]bool{}
			for _, e := range snap.Employees {
				depts[view(e.EmployeeID).Department] = true
			}
			if len(depts) < 5 {
				t.Errorf("departments %v, want at least 5", depts)
			}
			if v := view(FutureHire); v.Status != hr.StatusPreHire || !v.EmploymentStart.After(day) {
				t.Errorf("future hire view %+v", v)
			}
			if v := view(Leaver); v.Status != hr.StatusActive || v.LeaveDate == nil || n(day, *v.LeaveDate) < 1 || n(day, *v.LeaveDate) > 14 {
				t.Errorf("leaver view %+v", v)
			}
			if v := view(Mover); len(v.FutureChanges) == 0 || v.FutureChanges[0].Field != hr.FieldDepartment {
				t.Errorf("mover view %+v", v)
			}
			if len(snap.Replacements) != 1 {
				t.Fatalf("replacements %+v", snap.Replacements)
			}
			r := snap.Replacements[0]
			if r.SubstituteEmployeeID != Substitute || r.ReplacedEmployeeID != Replaced || r.Start.After(day) || r.End == nil || !r.End.After(day) {
				t.Errorf("replacement not in progress: %+v", r)
			}
			// Manager chain: staff → team lead → director → CEO.
			chain := []string{"1020"}
			for len(chain) < 10 {
				m := view(chain[len(chain)-1]).ManagerEmployeeID
				if m == "" {
					break
				}
				chain = append(chain, m)
			}
			if !reflect.DeepEqual(chain, []string{"1020", "1010", "1001", CEO}) {
				t.Errorf("manager chain %v", chain)
			}
		})
	}
}

func n(a, b hr.Date) int { return a.DaysUntil(b) }

func TestSamplePeople(t *testing.T) {
	snap := load(t, time.Now())
	a, _ := snap.Find(NameCollision[0])
	b, _ := snap.Find(NameCollision[1])
	if a.FullName() != "Jan de Vries" || b.FullName() != "Jan de Vries" {
		t.Errorf("name collision: %q / %q", a.FullName(), b.FullName())
	}
	p, _ := snap.Find(PartnerNameUser)
	if p.NameUsage == hr.NameUsageOwn || p.PartnerFamilyName == "" {
		t.Errorf("partner-name user %+v", p)
	}
	var prefixes, diacritics int
	for _, e := range snap.Employees {
		if e.Prefix != "" {
			prefixes++
		}
		for _, r := range e.FullName() {
			if r > 127 {
				diacritics++
				break
			}
		}
	}
	if prefixes < 5 || diacritics < 3 {
		t.Errorf("prefixes %d, names with diacritics %d", prefixes, diacritics)
	}
}

func TestPolicyConsistency(t *testing.T) {
	if Domain() != "contoso.example" {
		t.Errorf("domain %q", Domain())
	}
	if got := SKUs(); !reflect.DeepEqual(got, []string{"POWER_BI_PRO", "SPE_E3"}) {
		t.Errorf("SKUs %v", got)
	}
	if got := Apps(); !reflect.DeepEqual(got, []AppRole{{App: "Salesforce", Role: "Standard User"}}) {
		t.Errorf("Apps %v", got)
	}
	groups := Groups()
	if !slices.Contains(groups, "All Staff") || !slices.IsSorted(groups) {
		t.Errorf("groups %v", groups)
	}
	// Every department in the sample has a rule of its own.
	covered := map[string]bool{}
	for _, r := range parsePolicy().Rules {
		for _, d := range r.When["department"] {
			covered[d] = true
		}
	}
	for _, e := range load(t, time.Now()).Employees {
		for _, c := range e.Contracts {
			if !covered[c.Department] {
				t.Errorf("department %q of %s has no rule", c.Department, e.EmployeeID)
			}
		}
	}
	// Sales leads get the app role: someone in Sales has job code M01.
	found := false
	for _, e := range load(t, time.Now()).Employees {
		for _, c := range e.Contracts {
			found = found || (c.Department == "Sales" && c.JobCode == "M01")
		}
	}
	if !found {
		t.Error("no Sales M01 employee for the sales-leads rule")
	}
	if len(Policy()) == 0 {
		t.Error("empty policy")
	}
}
