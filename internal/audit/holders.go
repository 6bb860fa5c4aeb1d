package audit

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Holding is one account holding a target at a moment, as the audit trail shows it.
type Holding struct {
	EmployeeID string `json:"employeeId,omitempty"`
	ObjectID   string `json:"objectId"`
	Target     Target `json:"target"`
	// Since is when the current holding began: the first grant after the last removal.
	Since time.Time `json:"since"`
	// Reason is that grant's reason (the rule, event or replacement that granted it).
	Reason     string `json:"reason,omitempty"`
	WorkflowID string `json:"workflowId,omitempty"`
}

// holdersAt folds grant and removal records of one target into who holds it at the moment
// at. Records after at are ignored; records are taken in (At, Seq) order, so a grant and a
// removal in the same instant count in the order they were stored. An account is keyed by
// object id (by employee id when the object id is missing).
func holdersAt(recs []Record, at time.Time) []Holding {
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b Record) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	held := map[string]*Holding{}
	var order []string
	for _, r := range sorted {
		if !at.IsZero() && r.At.After(at) {
			break
		}
		_, grant, ok := grantOf(r.Action)
		if !ok {
			continue
		}
		key := r.ObjectID
		if key == "" {
			key = "employee:" + r.EmployeeID
		}
		h, holding := held[key]
		switch {
		case grant && !holding:
			held[key] = &Holding{EmployeeID: r.EmployeeID, ObjectID: r.ObjectID, Target: r.Target,
				Since: r.At, Reason: r.Reason, WorkflowID: r.WorkflowID}
			order = append(order, key)
		case grant && holding:
			// A repeated grant (a repair, another rule) does not restart the holding, but
			// fills in what the first record lacked.
			if h.EmployeeID == "" {
				h.EmployeeID = r.EmployeeID
			}
			if h.Target.Name == "" {
				h.Target.Name = r.Target.Name
			}
			if h.Target.ID == "" {
				h.Target.ID = r.Target.ID
			}
		case !grant && holding:
			delete(held, key)
		}
	}
	out := make([]Holding, 0, len(held))
	seen := map[string]bool{}
	for _, k := range order {
		if h, ok := held[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, *h)
		}
	}
	slices.SortFunc(out, func(a, b Holding) int {
		return cmp.Or(cmp.Compare(a.EmployeeID, b.EmployeeID), cmp.Compare(a.ObjectID, b.ObjectID))
	})
	return out
}

// ParseKind accepts the target kinds a person types: group, license / licence, approle /
// app-role.
func ParseKind(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "group":
		return KindGroup, true
	case "license", "licence", "sku":
		return KindLicense, true
	case "approle", "app-role", "app_role":
		return KindAppRole, true
	}
	return "", false
}
