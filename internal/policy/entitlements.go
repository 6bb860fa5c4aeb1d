package policy

import (
	"cmp"
	"slices"
	"strings"
)

// Kind is the kind of an entitlement.
type Kind string

// Entitlement kinds.
const (
	KindGroup   Kind = "group"
	KindLicense Kind = "license"
	KindAppRole Kind = "appRole"
)

// kindOrder sorts groups before licences before app roles.
func kindOrder(k Kind) int {
	switch k {
	case KindGroup:
		return 0
	case KindLicense:
		return 1
	case KindAppRole:
		return 2
	}
	return 3
}

// Entitlement is one thing the policy grants: a group (by display name), a
// licence (by SKU part number) or an app role (by app and role name). It is
// comparable; for identity use Equal or Key, which ignore case, as Entra's
// display-name filters do.
type Entitlement struct {
	Kind Kind `json:"kind"`
	// Name is the group display name or SKU part number.
	Name string `json:"name,omitempty"`
	// App and Role name an app role (Kind appRole only).
	App  string `json:"app,omitempty"`
	Role string `json:"role,omitempty"`
}

// Group returns the entitlement for a group display name.
func Group(name string) Entitlement { return Entitlement{Kind: KindGroup, Name: name} }

// License returns the entitlement for a SKU part number.
func License(sku string) Entitlement { return Entitlement{Kind: KindLicense, Name: sku} }

// AppRoleOf returns the entitlement for an app role.
func AppRoleOf(app, role string) Entitlement {
	return Entitlement{Kind: KindAppRole, App: app, Role: role}
}

// String renders "group:ICT Admins", "license:SPE_E3" or
// "appRole:Salesforce/Standard User".
func (e Entitlement) String() string {
	if e.Kind == KindAppRole {
		return string(e.Kind) + ":" + e.App + "/" + e.Role
	}
	return string(e.Kind) + ":" + e.Name
}

// Key is the entitlement's identity: its String form in lower case with
// names trimmed. Two entitlements are the same when their keys are equal.
func (e Entitlement) Key() string { return e.key() }

func (e Entitlement) key() string {
	e.Name, e.App, e.Role = strings.TrimSpace(e.Name), strings.TrimSpace(e.App), strings.TrimSpace(e.Role)
	// A NUL separates app and role so that "a/b"+"c" and "a"+"b/c" differ.
	if e.Kind == KindAppRole {
		return strings.ToLower(string(e.Kind) + ":" + e.App + "\x00" + e.Role)
	}
	return strings.ToLower(string(e.Kind) + ":" + e.Name)
}

// Equal reports whether two entitlements are the same, ignoring case.
func (e Entitlement) Equal(o Entitlement) bool { return e.key() == o.key() }

// Compare orders entitlements: groups, then licences, then app roles; within
// a kind by name case-insensitively, then by exact spelling.
func Compare(a, b Entitlement) int {
	if c := cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)); c != 0 {
		return c
	}
	if c := cmp.Compare(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.key(), b.key()); c != 0 {
		return c
	}
	return cmp.Compare(a.String(), b.String())
}

// Grant is an entitlement with the rule that grants it. An entitlement that
// several rules grant appears once per rule.
type Grant struct {
	Entitlement
	// Rule is the granting rule's name.
	Rule string `json:"rule"`
}

// Source is the grant's source as the entity workflow records it:
// "role:<rule>".
func (g Grant) Source() string { return "role:" + g.Rule }

// entitlements lists what a rule grants, in file order.
func (r Rule) entitlements() []Entitlement {
	out := make([]Entitlement, 0, len(r.Groups)+len(r.Licenses)+len(r.AppRoles))
	for _, g := range r.Groups {
		out = append(out, Group(g))
	}
	for _, l := range r.Licenses {
		out = append(out, License(l))
	}
	for _, ar := range r.AppRoles {
		out = append(out, AppRoleOf(ar.App, ar.Role))
	}
	return out
}

// Matches reports whether the rule applies to an employee: every key of When
// that lists values must contain the employee's value (case-insensitive,
// surrounding spaces ignored). An empty When matches everyone; an employee
// with an empty attribute never matches a key that lists values.
func (r Rule) Matches(a Attributes) bool {
	m := r.When
	return matchAny(m.Department, a.Department) &&
		matchAny(m.JobCode, a.JobCode) &&
		matchAny(m.JobTitle, a.JobTitle) &&
		matchAny(m.EmployeeType, a.EmployeeType) &&
		matchAny(m.Company, a.Company) &&
		matchAny(m.CostCenter, a.CostCenter)
}

// matchKey is how match values compare: trimmed, case folded.
func matchKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// matchAny: an empty list matches anything; otherwise the value must be
// listed.
func matchAny(list []string, value string) bool {
	if len(list) == 0 {
		return true
	}
	v := matchKey(value)
	if v == "" {
		return false
	}
	for _, l := range list {
		if matchKey(l) == v {
			return true
		}
	}
	return false
}

// Entitlements returns every grant of every rule matching the employee,
// sorted by entitlement (see Compare) and then rule name. The result is
// deterministic for the same policy and attributes.
func (p *Policy) Entitlements(a Attributes) []Grant {
	var out []Grant
	for _, r := range p.Rules {
		if !r.Matches(a) {
			continue
		}
		for _, e := range r.entitlements() {
			out = append(out, Grant{Entitlement: e, Rule: r.Name})
		}
	}
	slices.SortFunc(out, func(x, y Grant) int {
		if c := Compare(x.Entitlement, y.Entitlement); c != 0 {
			return c
		}
		return cmp.Compare(x.Rule, y.Rule)
	})
	return out
}

// Distinct returns the entitlements of the grants, each once, sorted.
func Distinct(grants []Grant) []Entitlement {
	out := make([]Entitlement, 0, len(grants))
	for _, g := range grants {
		out = append(out, g.Entitlement)
	}
	return unique(out)
}

// unique sorts and removes entitlements equal (ignoring case) to an earlier
// one.
func unique(in []Entitlement) []Entitlement {
	out := slices.Clone(in)
	slices.SortFunc(out, Compare)
	return slices.CompactFunc(out, Entitlement.Equal)
}

// Managed returns everything any rule names, each once, sorted. Only these
// are ever removed by the engine.
func (p *Policy) Managed() []Entitlement {
	var all []Entitlement
	for _, r := range p.Rules {
		all = append(all, r.entitlements()...)
	}
	return unique(all)
}

// IsManaged reports whether some rule names the entitlement (ignoring case).
func (p *Policy) IsManaged(e Entitlement) bool {
	k := e.key()
	for _, r := range p.Rules {
		for _, x := range r.entitlements() {
			if x.key() == k {
				return true
			}
		}
	}
	return false
}

// Diff compares what an account has with what it should have. add is what
// want holds and have lacks; remove is what have holds, want lacks and the
// policy manages — anything the policy does not name is never removed. Both
// are de-duplicated and sorted; comparisons ignore case.
func (p *Policy) Diff(have, want []Entitlement) (add, remove []Entitlement) {
	haveKeys := make(map[string]bool, len(have))
	for _, e := range have {
		haveKeys[e.key()] = true
	}
	wantKeys := make(map[string]bool, len(want))
	for _, e := range want {
		wantKeys[e.key()] = true
	}
	managed := map[string]bool{}
	for _, e := range p.Managed() {
		managed[e.key()] = true
	}
	for _, e := range unique(want) {
		if !haveKeys[e.key()] {
			add = append(add, e)
		}
	}
	for _, e := range unique(have) {
		if !wantKeys[e.key()] && managed[e.key()] {
			remove = append(remove, e)
		}
	}
	return add, remove
}
