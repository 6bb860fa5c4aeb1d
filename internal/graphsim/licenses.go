package graphsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// listSubscribedSkus serves GET /subscribedSkus
// (https://learn.microsoft.com/graph/api/subscribedsku-list).
func (s *Sim) listSubscribedSkus(c *call) *response {
	out := make([]map[string]any, 0, len(s.t.skuOrder))
	for _, k := range s.t.skuOrder {
		out = append(out, map[string]any{
			"id":               s.t.tenantID + "_" + k.id,
			"accountId":        s.t.tenantID,
			"appliesTo":        "User",
			"capabilityStatus": "Enabled",
			"consumedUnits":    k.consumed,
			"skuId":            k.id,
			"skuPartNumber":    k.part,
			"prepaidUnits":     map[string]any{"enabled": k.prepaid, "suspended": 0, "warning": 0, "lockedOut": 0},
			"servicePlans":     []any{},
		})
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("subscribedSkus", nil), out, len(out), false, ""))
}

// assignLicense serves POST /users/{id}/assignLicense
// (https://learn.microsoft.com/graph/api/user-assignlicense): both
// addLicenses and removeLicenses are required, a usageLocation is needed to
// add, a SKU without free seats refuses, and the updated user is returned.
func (s *Sim) assignLicense(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	adds, removeSkus, r := s.parseLicenseChange(c, body)
	if r != nil {
		return r
	}
	var removes []*sku
	for _, k := range removeSkus {
		if !u.hasLicense(k.id) {
			if len(s.t.inheritedFrom(u, k.id)) > 0 {
				// Only the direct part of a licence can be removed; an inherited one
				// goes when the user leaves the group. Wording as matched by Microsoft's
				// own clean-up script (https://learn.microsoft.com/entra/identity/users/licensing-ps-examples).
				return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
					"User license is inherited from a group membership and it cannot be removed directly from the user.")
			}
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "User does not have a corresponding license.")
		}
		removes = append(removes, k)
	}
	if len(adds) > 0 && str(u.props, "usageLocation") == "" {
		// https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#usage-location-isnt-allowed
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
			"License assignment cannot be done for user with invalid usage location.")
	}
	for _, al := range adds {
		k := s.t.skus[strings.ToLower(al.SkuID)]
		if !u.counted[k.id] && k.consumed >= k.prepaid {
			// CountViolation: https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#not-enough-licenses
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Subscription with SKU %s does not have any available licenses.", k.id))
		}
	}
	u.licenses = applyLicenseChange(u.licenses, adds, removes)
	s.t.recount(u)
	s.t.touch('u', u.id)
	u.mod = s.t.nextChange()
	m := s.t.renderUser(u, nil, false)
	m["@odata.context"] = c.contextURL("users", nil) + "/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// listLicenseDetails serves GET /users/{id}/licenseDetails
// (https://learn.microsoft.com/graph/api/user-list-licensedetails).
func (s *Sim) listLicenseDetails(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	eff := s.t.effectiveLicenses(u)
	out := make([]map[string]any, 0, len(eff))
	for _, l := range eff {
		part := ""
		if k := s.t.skus[strings.ToLower(l.SkuID)]; k != nil {
			part = k.part
		}
		out = append(out, map[string]any{
			"id":            strings.ReplaceAll(l.SkuID, "-", ""),
			"skuId":         l.SkuID,
			"skuPartNumber": part,
			"servicePlans":  []any{},
		})
	}
	return c.jsonResponse(http.StatusOK, collection(c.base+"/$metadata#users('"+u.id+"')/licenseDetails", out, len(out), false, ""))
}

// applyLicenseChange returns list with removes taken out and adds put in
// (an add of a SKU already in the list replaces its disabled plans).
func applyLicenseChange(list []assignedLicense, adds []assignedLicense, removes []*sku) []assignedLicense {
	out := make([]assignedLicense, 0, len(list)+len(adds))
	for _, l := range list {
		gone := false
		for _, k := range removes {
			if strings.EqualFold(l.SkuID, k.id) {
				gone = true
			}
		}
		if !gone {
			out = append(out, l)
		}
	}
	for _, al := range adds {
		replaced := false
		for i, l := range out {
			if strings.EqualFold(l.SkuID, al.SkuID) {
				out[i] = al
				replaced = true
			}
		}
		if !replaced {
			out = append(out, al)
		}
	}
	return out
}

// licensedGroups returns the groups with licences that u is a direct member
// of, oldest first. Group-based licensing applies to direct members only
// (https://learn.microsoft.com/entra/fundamentals/concept-group-based-licensing).
func (t *tenant) licensedGroups(u *user) []*group {
	var out []*group
	for gid := range t.memberOf[u.id] {
		if g := t.groups[gid]; g != nil && len(g.licenses) > 0 {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// inheritedFrom returns the ids of the groups u inherits skuID from.
func (t *tenant) inheritedFrom(u *user, skuID string) []string {
	var out []string
	for _, g := range t.licensedGroups(u) {
		for _, l := range g.licenses {
			if strings.EqualFold(l.SkuID, skuID) {
				out = append(out, g.id)
			}
		}
	}
	return out
}

// effectiveLicenses is u's assignedLicenses as Graph shows it: direct
// licences, then those only inherited from groups, each SKU once
// (https://learn.microsoft.com/graph/api/resources/user#properties, assignedLicenses
// "includes licenses assigned directly and licenses assigned through group membership").
func (t *tenant) effectiveLicenses(u *user) []assignedLicense {
	out := append([]assignedLicense{}, u.licenses...)
	for _, g := range t.licensedGroups(u) {
		for _, l := range g.licenses {
			dup := false
			for _, o := range out {
				if strings.EqualFold(o.SkuID, l.SkuID) {
					dup = true
				}
			}
			if !dup {
				out = append(out, l)
			}
		}
	}
	return out
}

// licenseStates renders licenseAssignmentStates: one entry per direct
// licence (assignedByGroup null) and one per group a licence comes from
// (https://learn.microsoft.com/graph/api/resources/licenseassignmentstate).
func (t *tenant) licenseStates(u *user) []any {
	state := func(l assignedLicense, by any) map[string]any {
		return map[string]any{
			"skuId": l.SkuID, "assignedByGroup": by, "state": "Active", "error": "None",
			"disabledPlans": copyJSON(append([]string{}, l.DisabledPlans...)), "lastUpdatedDateTime": nil,
		}
	}
	out := []any{}
	for _, l := range u.licenses {
		out = append(out, state(l, nil))
	}
	for _, g := range t.licensedGroups(u) {
		for _, l := range g.licenses {
			out = append(out, state(l, g.id))
		}
	}
	return out
}

// recount brings the SKUs' consumedUnits in line with u's current licences:
// a user takes one seat per SKU however many ways it holds it, and none while
// soft-deleted.
func (t *tenant) recount(u *user) {
	next := map[string]bool{}
	if u.deleted.IsZero() {
		for _, l := range t.effectiveLicenses(u) {
			next[strings.ToLower(l.SkuID)] = true
		}
	}
	for id := range u.counted {
		if !next[id] {
			if k := t.skus[id]; k != nil {
				k.consumed--
			}
		}
	}
	for id := range next {
		if !u.counted[id] {
			if k := t.skus[id]; k != nil {
				k.consumed++
			}
		}
	}
	u.counted = next
}

// assignGroupLicense serves POST /groups/{id}/assignLicense
// (https://learn.microsoft.com/graph/api/group-assignlicense): 202 Accepted
// with the group; its user members inherit the licences at once (Entra
// processes them in the background).
func (s *Sim) assignGroupLicense(c *call) *response {
	g := s.t.groupByKey(c.ids[0], false)
	if g == nil {
		return s.notFound(c, c.ids[0])
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	adds, removes, r := s.parseLicenseChange(c, body)
	if r != nil {
		return r
	}
	for _, k := range removes {
		found := false
		for _, l := range g.licenses {
			if strings.EqualFold(l.SkuID, k.id) {
				found = true
			}
		}
		if !found {
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Group does not have a corresponding license.")
		}
	}
	g.licenses = applyLicenseChange(g.licenses, adds, removes)
	s.t.touch('g', g.id)
	s.t.relicenseMembers(g)
	m := s.t.renderGroup(g, nil, false)
	m["@odata.context"] = c.contextURL("groups", nil) + "/$entity"
	return c.jsonResponse(http.StatusAccepted, m)
}

// relicenseMembers recounts the seats of g's user members.
func (t *tenant) relicenseMembers(g *group) {
	for _, m := range g.members {
		if u := t.users[m]; u != nil {
			t.recount(u)
		}
	}
}

// parseLicenseChange reads the addLicenses / removeLicenses parameters of an
// assignLicense action; both are required (may be empty) and every skuId must
// be a subscribed SKU.
func (s *Sim) parseLicenseChange(c *call, body map[string]any) ([]assignedLicense, []*sku, *response) {
	addRaw, okAdd := body["addLicenses"].([]any)
	remRaw, okRem := body["removeLicenses"].([]any)
	if !okAdd {
		return nil, nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.",
			errorDetail{Code: "InvalidValue", Target: "addLicenses"})
	}
	if !okRem {
		return nil, nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'removeLicenses' of resource 'User'.",
			errorDetail{Code: "InvalidValue", Target: "removeLicenses"})
	}
	var adds []assignedLicense
	for _, e := range addRaw {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.")
		}
		id, _ := m["skuId"].(string)
		k := s.t.skus[strings.ToLower(id)]
		if k == nil || !guidRe.MatchString(id) {
			return nil, nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("License %s does not correspond to a valid company License.", id))
		}
		al := assignedLicense{SkuID: k.id, DisabledPlans: []string{}}
		if dp, ok := m["disabledPlans"].([]any); ok {
			for _, p := range dp {
				ps, ok := p.(string)
				if !ok {
					return nil, nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'disabledPlans' of resource 'User'.")
				}
				al.DisabledPlans = append(al.DisabledPlans, ps)
			}
		}
		adds = append(adds, al)
	}
	var removes []*sku
	for _, e := range remRaw {
		id, _ := e.(string)
		k := s.t.skus[strings.ToLower(id)]
		if k == nil {
			return nil, nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("License %s does not correspond to a valid company License.", id))
		}
		removes = append(removes, k)
	}
	return adds, removes, nil
}
