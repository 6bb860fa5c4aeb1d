package hr

import (
	"cmp"
	"fmt"
	"math"
	"sort"
	"strings"
)

// MaxIDLength is the longest employee id the engine accepts: Entra ID's
// employeeId property holds at most 16 characters (a longer value is a 400
// "Invalid value specified for property 'employeeId'"; see the employeeId
// description in msgraph-sdk-go models/user.go).
const MaxIDLength = 16

// ValidID reports whether id is acceptable as an employee id (IDProblem
// returns no reason).
func ValidID(id string) bool { return IDProblem(id) == "" }

// IDProblem returns why id is not acceptable as an employee id, or "" when
// it is. An id is 1 to MaxIDLength characters of printable ASCII (0x21 to
// 0x7E, plus inner spaces), without surrounding spaces and without '/'.
// Printable ASCII only, because the id travels in workflow ids and gRPC
// headers: a non-ASCII id broke the Temporal SDK's request header and was
// answered 503 on every retry. The slash is refused because the id becomes
// part of a workflow id.
func IDProblem(id string) string {
	switch {
	case id == "":
		return "employee id is empty"
	case strings.TrimSpace(id) != id:
		return "employee id has spaces around it"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c < 0x20 || c > 0x7e:
			return fmt.Sprintf("employee id has a character outside printable ASCII at byte %d (only printable ASCII is accepted)", i+1)
		case c == '/':
			return "employee id contains '/'"
		}
	}
	if len(id) > MaxIDLength {
		return fmt.Sprintf("employee id is %d characters long; Entra ID's employeeId holds at most %d", len(id), MaxIDLength)
	}
	return ""
}

// ValidateEmployee checks one record on its own (without looking at other
// employees) and returns the reasons it must be rejected; none means it is
// acceptable.
func ValidateEmployee(e Employee) []string {
	var reasons []string
	if e.EmployeeID == "" {
		reasons = append(reasons, "missing employee id")
	} else if p := IDProblem(e.EmployeeID); p != "" {
		reasons = append(reasons, fmt.Sprintf("employee id %q is not usable: %s", truncate(e.EmployeeID, 80), p))
	}
	if strings.TrimSpace(e.GivenName) == "" && strings.TrimSpace(e.PreferredName) == "" {
		reasons = append(reasons, "missing given name")
	}
	if strings.TrimSpace(e.FamilyName) == "" {
		reasons = append(reasons, "missing family name")
	}
	switch e.NameUsage {
	case "", NameUsageOwn, NameUsagePartner, NameUsageOwnPartner, NameUsagePartnerOwn:
	default:
		reasons = append(reasons, fmt.Sprintf("unknown nameUsage %q (want own, partner, own-partner or partner-own)", truncate(e.NameUsage, 40)))
	}
	if e.NameUsage != "" && e.NameUsage != NameUsageOwn && strings.TrimSpace(e.PartnerFamilyName) == "" {
		reasons = append(reasons, fmt.Sprintf("nameUsage %q needs a partnerFamilyName", e.NameUsage))
	}
	ids := map[string]bool{}
	for i, c := range e.Contracts {
		label := c.ID
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
			reasons = append(reasons, fmt.Sprintf("contract %s: missing id", label))
		} else if ids[c.ID] {
			reasons = append(reasons, fmt.Sprintf("contract %s: duplicate contract id", label))
		}
		ids[c.ID] = true
		switch {
		case c.Start.IsZero():
			reasons = append(reasons, fmt.Sprintf("contract %s: missing start date", label))
		case !c.Start.Valid():
			reasons = append(reasons, fmt.Sprintf("contract %s: invalid start date", label))
		}
		if c.End != nil {
			switch {
			case !c.End.Valid():
				reasons = append(reasons, fmt.Sprintf("contract %s: invalid end date", label))
			case !c.Start.IsZero() && c.End.Before(c.Start):
				reasons = append(reasons, fmt.Sprintf("contract %s: end %s is before start %s", label, c.End, c.Start))
			}
		}
		if c.FTE < 0 || math.IsNaN(c.FTE) || math.IsInf(c.FTE, 0) {
			reasons = append(reasons, fmt.Sprintf("contract %s: fte %v is not a non-negative number", label, c.FTE))
		}
	}
	return reasons
}

// Validate applies the validation rules to a snapshot and returns the
// records that pass, with the refused ones added to Rejected and the
// corrected ones to Warnings (both keep what the input already had). The
// input is not modified.
//
// Rules:
//   - Each record on its own (ValidateEmployee): id, names, name usage,
//     contract ids and dates (end not before start), FTE. A failing record is
//     rejected with all its reasons joined.
//   - Duplicate employee ids: every record carrying the id is rejected, since
//     there is no telling which one is right.
//   - Manager links: a manager id that points to no accepted employee, to the
//     employee themself, or that is part of a reporting cycle is dropped from
//     the contract and reported as a warning. The employee is still accepted
//     (an identity engineer expects the person to get an account, just
//     without a manager until HR fixes the link).
//   - Replacements with a missing id, unknown or rejected employees, the same
//     person on both sides, or an end before the start are rejected.
func Validate(s Snapshot) Snapshot {
	out := Snapshot{
		Rejected: append([]Rejection(nil), s.Rejected...),
		Warnings: append([]Rejection(nil), s.Warnings...),
	}
	count := map[string]int{}
	for _, e := range s.Employees {
		count[e.EmployeeID]++
	}
	for _, e := range s.Employees {
		reasons := ValidateEmployee(e)
		if e.EmployeeID != "" && count[e.EmployeeID] > 1 {
			reasons = append(reasons, fmt.Sprintf("duplicate employee id (%d records)", count[e.EmployeeID]))
		}
		if len(reasons) > 0 {
			out.Rejected = append(out.Rejected, Rejection{EmployeeID: e.EmployeeID, Source: validationSource, Reason: strings.Join(reasons, "; ")})
			continue
		}
		out.Employees = append(out.Employees, e.Clone())
	}

	known := map[string]int{}
	for i, e := range out.Employees {
		known[e.EmployeeID] = i
	}
	out.dropDanglingManagers(known)
	out.dropManagerCycles(known)
	for _, r := range s.Replacements {
		if reasons := replacementProblems(r, known); len(reasons) > 0 {
			out.Rejected = append(out.Rejected, Rejection{EmployeeID: r.SubstituteEmployeeID, ReplacementID: cmp.Or(r.ID, "(no id)"), Source: validationSource,
				Reason: fmt.Sprintf("replacement %s: %s", r.ID, strings.Join(reasons, "; "))})
			continue
		}
		rc := r
		if r.End != nil {
			end := *r.End
			rc.End = &end
		}
		out.Replacements = append(out.Replacements, rc)
	}
	return out
}

// validationSource is the Source of what Validate rejects or warns about.
const validationSource = "validation"

// dropDanglingManagers drops (with a warning) manager links to the employee
// themself or to someone not accepted; known indexes the accepted employees.
func (out *Snapshot) dropDanglingManagers(known map[string]int) {
	for i := range out.Employees {
		e := &out.Employees[i]
		for j := range e.Contracts {
			c := &e.Contracts[j]
			m := c.ManagerEmployeeID
			if m == "" {
				continue
			}
			reason := ""
			if m == e.EmployeeID {
				reason = fmt.Sprintf("contract %s: manager is the employee themself; manager link dropped", c.ID)
			} else if _, ok := known[m]; !ok {
				reason = fmt.Sprintf("contract %s: manager %q is not an accepted employee; manager link dropped", c.ID, truncate(m, 80))
			}
			if reason != "" {
				c.ManagerEmployeeID = ""
				out.Warnings = append(out.Warnings, Rejection{EmployeeID: e.EmployeeID, Source: validationSource, Reason: reason})
			}
		}
	}
}

// dropManagerCycles drops (with a warning) the manager links inside each
// reporting cycle: the strongly connected components of the "reports to"
// graph.
func (out *Snapshot) dropManagerCycles(known map[string]int) {
	for _, comp := range managerCycles(out.Employees) {
		in := map[string]bool{}
		for _, id := range comp {
			in[id] = true
		}
		chain := strings.Join(comp, " → ")
		for _, id := range comp {
			e := &out.Employees[known[id]]
			for j := range e.Contracts {
				c := &e.Contracts[j]
				if in[c.ManagerEmployeeID] {
					out.Warnings = append(out.Warnings, Rejection{EmployeeID: id, Source: validationSource,
						Reason: fmt.Sprintf("contract %s: manager %q is part of a reporting cycle (%s); manager link dropped", c.ID, c.ManagerEmployeeID, chain)})
					c.ManagerEmployeeID = ""
				}
			}
		}
	}
}

// replacementProblems lists why replacement r cannot be accepted; known
// indexes the accepted employees.
func replacementProblems(r Replacement, known map[string]int) []string {
	var reasons []string
	if r.ID == "" {
		reasons = append(reasons, "missing replacement id")
	}
	for _, side := range []struct{ name, id string }{{"substitute", r.SubstituteEmployeeID}, {"replaced", r.ReplacedEmployeeID}} {
		if side.id == "" {
			reasons = append(reasons, "missing "+side.name+" employee id")
		} else if _, ok := known[side.id]; !ok {
			reasons = append(reasons, fmt.Sprintf("%s %q is not an accepted employee", side.name, truncate(side.id, 80)))
		}
	}
	if r.SubstituteEmployeeID != "" && r.SubstituteEmployeeID == r.ReplacedEmployeeID {
		reasons = append(reasons, "substitute and replaced are the same person")
	}
	switch {
	case r.Start.IsZero():
		reasons = append(reasons, "missing start date")
	case !r.Start.Valid():
		reasons = append(reasons, "invalid start date")
	case r.End != nil && r.End.Before(r.Start):
		reasons = append(reasons, fmt.Sprintf("end %s is before start %s", r.End, r.Start))
	}
	return reasons
}

// managerCycles returns the reporting cycles (strongly connected components
// with more than one member) of the graph employee → manager over all
// contracts, each sorted, in a deterministic order.
func managerCycles(emps []Employee) [][]string {
	edges := map[string][]string{}
	var nodes []string
	for _, e := range emps {
		nodes = append(nodes, e.EmployeeID)
		seen := map[string]bool{}
		for _, c := range e.Contracts {
			if m := c.ManagerEmployeeID; m != "" && !seen[m] {
				seen[m] = true
				edges[e.EmployeeID] = append(edges[e.EmployeeID], m)
			}
		}
		sort.Strings(edges[e.EmployeeID])
	}
	sort.Strings(nodes)

	// Tarjan's algorithm, iterative over sorted nodes for determinism.
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var comps [][]string
	next := 0
	var strong func(v string)
	strong = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if _, ok := index[w]; !ok {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				sort.Strings(comp)
				comps = append(comps, comp)
			}
		}
	}
	for _, v := range nodes {
		if _, ok := index[v]; !ok {
			strong(v)
		}
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i][0] < comps[j][0] })
	return comps
}
