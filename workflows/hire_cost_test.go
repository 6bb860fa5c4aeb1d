package workflows

import (
	"sort"
	"testing"
	"time"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/policy"
)

// hireCost is what one hire cost in Graph requests and wall time.
type hireCost struct {
	Reads, Writes int
	Elapsed       time.Duration
	ByRoute       map[string]int
	Result        HireResult
}

// hireInputFor builds the input the entity gives a hire of employee id in
// department dept, starting now (enable) or later.
func hireInputFor(t testing.TB, h *harness, id, given, family, dept string, enable bool) HireInput {
	t.Helper()
	p, err := policy.Parse("policy.yaml", []byte(h.policy))
	if err != nil {
		t.Fatal(err)
	}
	e := person(id, given, "", family, contract(id+"-1", "2026-03-02", "", dept, "F045", "Systeembeheerder", managerID))
	v := e.ViewAt(at("2026-03-02", 9, 0), ams)
	roles := roleEntries(p, v)
	return HireInput{
		EmployeeID: id, Person: personOf(e), Naming: p.Naming, Domain: p.Tenant.Domain,
		Spec: specOf(id, v, p, at("2026-03-02", 0, 0)), ManagerEmployeeID: managerID,
		Entitlements: distinct(roles), Sources: sourcesOf(roles), Enable: enable,
		TemporaryAccessPass: enable && p.Lifecycle.TemporaryAccessPass,
	}
}

// runHire runs one Hire workflow against the harness's simulator and
// returns the Graph requests it made and how long it took.
func runHire(t testing.TB, h *harness, in HireInput) hireCost {
	t.Helper()
	h.sim.ResetStats()
	h.freshEnv(h.env.Now())
	began := time.Now()
	h.env.ExecuteWorkflow(HireWorkflowName, in)
	elapsed := time.Since(began)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("hire: %v", err)
	}
	var res HireResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Failed {
		t.Fatalf("hire failed: %s", res.Reason)
	}
	st := h.sim.Stats()
	return hireCost{Reads: st.Reads, Writes: st.Writes, Elapsed: elapsed, ByRoute: st.ByRoute, Result: res}
}

func routes(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+" ×"+itoa(v))
	}
	sort.Strings(out)
	return out
}

// TestHireGraphCost counts the Graph requests of a hire whose start moment has
// passed (created, attributes, manager, groups, licence, enabled, pass) and of
// a pre-hire.
func TestHireGraphCost(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 9, 0), 0)
	c := runHire(t, h, hireInputFor(t, h, "1001", "Jan", "Vries", "ICT", true))
	t.Logf("hire now: %d reads, %d writes: %v", c.Reads, c.Writes, routes(c.ByRoute))
	if !c.Result.Enabled || c.Result.Pass == nil || c.Result.ManagerObjectID == "" {
		t.Errorf("result = %+v", c.Result)
	}
	u := h.user("jan.vries@contoso.example")
	if u == nil || !boolOf(u, "accountEnabled") {
		t.Fatalf("account = %v", u)
	}
	if g := h.sim.UserGroups("jan.vries@contoso.example"); !has(g, "All Staff") || !has(g, "ICT Admins") {
		t.Errorf("groups = %v", g)
	}
	if c.Writes > maxHireWrites || c.Reads > maxHireReads {
		t.Errorf("a hire costs %d writes and %d reads, want at most %d and %d", c.Writes, c.Reads, maxHireWrites, maxHireReads)
	}

	pre := runHire(t, h, hireInputFor(t, h, "1002", "Anna", "Bakker", "ICT", false))
	t.Logf("pre-hire: %d reads, %d writes: %v", pre.Reads, pre.Writes, routes(pre.ByRoute))
	if u := h.user("anna.bakker@contoso.example"); u == nil || boolOf(u, "accountEnabled") {
		t.Errorf("pre-hire account = %v, want disabled", u)
	}
}

// The budget of a hire whose start moment has passed, in Graph requests
// (sub-requests of a $batch count one each; the simulator counts them so).
const (
	maxHireWrites = 100
	maxHireReads  = 100
)

// TestHireLatency measures a hire whose start moment has passed with 100 ms
// per Graph request.
func TestHireLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement")
	}
	h := newHarness(t, at("2026-03-02", 9, 0), 0)
	h.sim.SetLatency(100 * time.Millisecond)
	var took []time.Duration
	for i, n := range []string{"Jan", "Piet", "Kees", "Els", "Mira"} {
		c := runHire(t, h, hireInputFor(t, h, itoa(3000+i), n, "Vries", "Sales", true))
		took = append(took, c.Elapsed)
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("hire with 100 ms per Graph request: p50 %v, max %v", took[len(took)/2], took[len(took)-1])
}

var _ = graphsim.Stats{}
var _ = activities.Account{}
