package graphsim

import (
	"sort"
)

// Snapshot returns the tenant as a Seed that recreates it in a new simulator: verified
// domains, SKUs, service principals and groups with their ids, active users with their ids
// and writable properties, managers, group memberships, licences and app role assignments.
// Soft-deleted users, sent mail, Temporary Access Passes and delta tokens are not kept, and
// proxyAddresses are rebuilt from mail. Dev mode uses it to keep the simulated tenant across
// restarts, beside Temporal's own state.
func (s *Sim) Snapshot() Seed {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.t
	var seed Seed
	if p := t.tapPolicy; p != defaultTAPPolicy() {
		once := p.IsUsableOnce
		seed.TemporaryAccessPassPolicy = &SeedTAPPolicy{State: p.State, MinimumLifetimeInMinutes: p.MinimumLifetimeInMinutes,
			MaximumLifetimeInMinutes: p.MaximumLifetimeInMinutes, DefaultLifetimeInMinutes: p.DefaultLifetimeInMinutes,
			IsUsableOnce: &once, DefaultLength: p.DefaultLength}
	}
	for _, d := range t.domains {
		seed.Domains = append(seed.Domains, d)
	}
	sort.Strings(seed.Domains)
	for _, k := range t.skuOrder {
		seed.SKUs = append(seed.SKUs, SeedSKU{SkuID: k.id, SkuPartNumber: k.part, PrepaidUnits: k.prepaid})
	}
	for _, sp := range t.spOrder {
		x := SeedServicePrincipal{ID: sp.id, AppID: sp.appID, DisplayName: sp.displayName}
		for _, r := range sp.roles {
			x.AppRoles = append(x.AppRoles, SeedAppRole{ID: r.ID, Value: r.Value, DisplayName: r.DisplayName})
		}
		seed.ServicePrincipals = append(seed.ServicePrincipals, x)
	}
	for _, g := range t.groupOrder {
		x := SeedGroup{ID: g.id, DisplayName: str(g.props, "displayName"), MailNickname: str(g.props, "mailNickname"), Description: str(g.props, "description")}
		for _, l := range g.licenses {
			x.AssignedLicenses = append(x.AssignedLicenses, SeedGroupLicense{SkuID: l.SkuID, DisabledPlans: append([]string(nil), l.DisabledPlans...)})
		}
		seed.Groups = append(seed.Groups, x)
		for _, m := range g.members {
			if u := t.users[m]; u != nil && !u.deleted.IsZero() {
				continue // a soft-deleted member is not recreated
			}
			seed.Memberships = append(seed.Memberships, SeedMembership{Group: g.id, Member: m})
		}
	}
	for _, u := range t.order {
		if !u.deleted.IsZero() {
			continue
		}
		props := map[string]any{"id": u.id}
		for k, v := range u.props {
			if _, writable := userWritable[k]; writable && v != nil {
				props[k] = copyJSON(v)
			}
		}
		for _, k := range userOnPremReadOnly {
			if v, ok := u.props[k]; ok && v != nil {
				props[k] = copyJSON(v)
			}
		}
		seed.Users = append(seed.Users, props)
		if u.managerID != "" {
			seed.Managers = append(seed.Managers, SeedManager{User: u.id, Manager: u.managerID})
		}
		for _, l := range u.licenses {
			seed.Licenses = append(seed.Licenses, SeedLicense{User: u.id, SKU: l.SkuID, DisabledPlans: append([]string(nil), l.DisabledPlans...)})
		}
	}
	ids := make([]string, 0, len(t.assignments))
	for id := range t.assignments {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return t.assignments[ids[i]].seq < t.assignments[ids[j]].seq })
	for _, id := range ids {
		a := t.assignments[id]
		if u := t.users[a.principal]; u == nil || !u.deleted.IsZero() {
			continue
		}
		seed.AppRoleAssignments = append(seed.AppRoleAssignments, SeedAppRoleAssignment{User: a.principal, ServicePrincipal: a.resource, AppRole: a.role})
	}
	return seed
}
