package graphsim

import (
	"fmt"
	"net/http"
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
	addRaw, okAdd := body["addLicenses"].([]any)
	remRaw, okRem := body["removeLicenses"].([]any)
	if !okAdd {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.",
			errorDetail{Code: "InvalidValue", Target: "addLicenses"})
	}
	if !okRem {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'removeLicenses' of resource 'User'.",
			errorDetail{Code: "InvalidValue", Target: "removeLicenses"})
	}
	var adds []assignedLicense
	for _, e := range addRaw {
		m, ok := e.(map[string]any)
		if !ok {
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.")
		}
		id, _ := m["skuId"].(string)
		k := s.t.skus[strings.ToLower(id)]
		if k == nil || !guidRe.MatchString(id) {
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("License %s does not correspond to a valid company License.", id))
		}
		al := assignedLicense{SkuID: k.id, DisabledPlans: []string{}}
		if dp, ok := m["disabledPlans"].([]any); ok {
			for _, p := range dp {
				ps, ok := p.(string)
				if !ok {
					return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'disabledPlans' of resource 'User'.")
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
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("License %s does not correspond to a valid company License.", id))
		}
		if !u.hasLicense(k.id) {
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
		if !u.hasLicense(k.id) && k.consumed >= k.prepaid {
			// CountViolation: https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#not-enough-licenses
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Subscription with SKU %s does not have any available licenses.", k.id))
		}
	}
	for _, k := range removes {
		for i, l := range u.licenses {
			if strings.EqualFold(l.SkuID, k.id) {
				u.licenses = append(u.licenses[:i], u.licenses[i+1:]...)
				k.consumed--
				break
			}
		}
	}
	for _, al := range adds {
		replaced := false
		for i, l := range u.licenses {
			if strings.EqualFold(l.SkuID, al.SkuID) {
				u.licenses[i] = al
				replaced = true
			}
		}
		if !replaced {
			u.licenses = append(u.licenses, al)
			s.t.skus[strings.ToLower(al.SkuID)].consumed++
		}
	}
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
	out := make([]map[string]any, 0, len(u.licenses))
	for _, l := range u.licenses {
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
