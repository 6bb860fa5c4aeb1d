package directory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
)

// defaultAccessRoleID is the app role id of "default access" for an
// application that declares no roles
// (https://learn.microsoft.com/graph/api/user-post-approleassignments).
const defaultAccessRoleID = "00000000-0000-0000-0000-000000000000"

type appRoleDef struct {
	ID          string
	Value       string
	DisplayName string
}

type servicePrincipal struct {
	ID          string
	DisplayName string
	Roles       []appRoleDef
}

// ResolvedAppRole is an app role by ids: what an assignment needs.
type ResolvedAppRole struct {
	// ResourceID is the service principal's object id.
	ResourceID string
	// AppRoleID is the role's id.
	AppRoleID string
}

// Refresh forgets every resolved name, so the next lookups read the tenant.
func (c *Client) Refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups = map[string]cached[Group]{}
	c.skus = nil
	c.sps = map[string]cached[servicePrincipal]{}
	c.spByID = map[string]servicePrincipal{}
}

// ResolveGroups maps group display names to object ids. Names the tenant
// lacks give a KindNotFound error wrapping *UnknownNamesError that lists
// them all; a name shared by several groups is KindConflict. Results are
// cached for Config.CacheTTL.
func (c *Client) ResolveGroups(ctx context.Context, names []string) (map[string]string, error) {
	o := op{"resolve groups", "GroupMember.Read.All (or Group.Read.All)"}
	out := make(map[string]string, len(names))
	var missing []string
	for _, name := range uniqueSorted(names) {
		c.mu.Lock()
		g, ok := c.groups[name]
		c.mu.Unlock()
		if ok && c.now().Sub(g.at) < c.cacheTTL {
			out[name] = g.v.ID
			continue
		}
		resp, err := c.graph.Groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{
				Filter: ptr(eqFilter("displayName", name)),
				Select: []string{"id", "displayName"},
				Top:    ptr(int32(2)),
			},
		})
		if err != nil {
			return nil, classify(o, err)
		}
		found := resp.GetValue()
		switch len(found) {
		case 0:
			missing = append(missing, name)
			continue
		case 1:
		default:
			return nil, newError(o, KindConflict, fmt.Sprintf("several groups are named %q: rename one or refer to it unambiguously", name), nil)
		}
		grp := Group{ID: str(found[0].GetId()), DisplayName: str(found[0].GetDisplayName())}
		c.mu.Lock()
		c.groups[name] = cached[Group]{v: grp, at: c.now()}
		c.mu.Unlock()
		out[name] = grp.ID
	}
	if len(missing) > 0 {
		u := &UnknownNamesError{What: "group", Names: missing}
		return nil, newError(o, KindNotFound, u.Error(), u)
	}
	return out, nil
}

// SubscribedSKUs returns the tenant's licences (subscribedSkus, cached).
func (c *Client) SubscribedSKUs(ctx context.Context) ([]SKU, error) {
	c.mu.Lock()
	if c.skus != nil && c.now().Sub(c.skus.at) < c.cacheTTL {
		out := c.skus.v
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	o := op{"list subscribed SKUs", permLicenseRead}
	resp, err := c.graph.SubscribedSkus().Get(ctx, nil)
	if err != nil {
		return nil, classify(o, err)
	}
	var out []SKU
	for _, s := range resp.GetValue() {
		sku := SKU{SkuPartNumber: str(s.GetSkuPartNumber())}
		if id := s.GetSkuId(); id != nil {
			sku.ID = id.String()
		}
		if p := s.GetPrepaidUnits(); p != nil && p.GetEnabled() != nil {
			sku.Enabled = int(*p.GetEnabled())
		}
		if n := s.GetConsumedUnits(); n != nil {
			sku.Consumed = int(*n)
		}
		out = append(out, sku)
	}
	c.mu.Lock()
	c.skus = &cached[[]SKU]{v: out, at: c.now()}
	c.mu.Unlock()
	return out, nil
}

// ResolveSKUs maps skuPartNumbers (e.g. "SPE_E3", compared without regard to
// case) to skuIds. Unknown part numbers give a KindNotFound error wrapping
// *UnknownNamesError.
func (c *Client) ResolveSKUs(ctx context.Context, partNumbers []string) (map[string]string, error) {
	skus, err := c.SubscribedSKUs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(partNumbers))
	var missing []string
	for _, pn := range uniqueSorted(partNumbers) {
		found := false
		for _, s := range skus {
			if strings.EqualFold(s.SkuPartNumber, pn) {
				out[pn] = s.ID
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, pn)
		}
	}
	if len(missing) > 0 {
		u := &UnknownNamesError{What: "subscribed SKU (skuPartNumber)", Names: missing}
		return nil, newError(op{"resolve licences", permLicenseRead}, KindNotFound, u.Error(), u)
	}
	return out, nil
}

// skuPartNumber maps a skuId back to its part number from the cache.
func (c *Client) skuPartNumber(ctx context.Context, skuID string) string {
	skus, err := c.SubscribedSKUs(ctx)
	if err == nil {
		for _, s := range skus {
			if strings.EqualFold(s.ID, skuID) {
				return s.SkuPartNumber
			}
		}
	}
	return skuID
}

// servicePrincipalByName finds the service principal of an application by
// display name (cached).
func (c *Client) servicePrincipalByName(ctx context.Context, name string) (servicePrincipal, bool, error) {
	c.mu.Lock()
	sp, ok := c.sps[name]
	c.mu.Unlock()
	if ok && c.now().Sub(sp.at) < c.cacheTTL {
		return sp.v, true, nil
	}
	o := op{"resolve application " + name, permAppRead}
	resp, err := c.graph.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
			Filter: ptr(eqFilter("displayName", name)),
			Select: []string{"id", "displayName", "appRoles"},
			Top:    ptr(int32(2)),
		},
	})
	if err != nil {
		return servicePrincipal{}, false, classify(o, err)
	}
	found := resp.GetValue()
	switch len(found) {
	case 0:
		return servicePrincipal{}, false, nil
	case 1:
	default:
		return servicePrincipal{}, false, newError(o, KindConflict, fmt.Sprintf("several applications are named %q", name), nil)
	}
	m := found[0]
	res := servicePrincipal{ID: str(m.GetId()), DisplayName: str(m.GetDisplayName())}
	for _, r := range m.GetAppRoles() {
		if r.GetIsEnabled() != nil && !*r.GetIsEnabled() {
			continue
		}
		if types := r.GetAllowedMemberTypes(); len(types) > 0 && !containsFold(types, "User") {
			continue // an application-only role cannot be given to a person
		}
		def := appRoleDef{Value: str(r.GetValue()), DisplayName: str(r.GetDisplayName())}
		if id := r.GetId(); id != nil {
			def.ID = id.String()
		}
		res.Roles = append(res.Roles, def)
	}
	c.mu.Lock()
	c.sps[name] = cached[servicePrincipal]{v: res, at: c.now()}
	c.spByID[res.ID] = res
	c.mu.Unlock()
	return res, true, nil
}

// ResolveAppRoles maps each app role (application display name + role value
// or display name) to ids. Unknown applications or roles give a
// KindNotFound error wrapping *UnknownNamesError naming them ("App/Role").
func (c *Client) ResolveAppRoles(ctx context.Context, roles []AppRole) (map[AppRole]ResolvedAppRole, error) {
	out := make(map[AppRole]ResolvedAppRole, len(roles))
	var missing []string
	for _, r := range roles {
		if _, done := out[r]; done {
			continue
		}
		sp, ok, err := c.servicePrincipalByName(ctx, r.App)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, r.App+" (no such application)")
			continue
		}
		roleID, ok := matchRole(sp, r.Role)
		if !ok {
			missing = append(missing, r.String())
			continue
		}
		out[r] = ResolvedAppRole{ResourceID: sp.ID, AppRoleID: roleID}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		u := &UnknownNamesError{What: "app role", Names: missing}
		return nil, newError(op{"resolve app roles", permAppRead}, KindNotFound, u.Error(), u)
	}
	return out, nil
}

func matchRole(sp servicePrincipal, role string) (string, bool) {
	if role == "" || strings.EqualFold(role, "Default Access") {
		if len(sp.Roles) == 0 {
			return defaultAccessRoleID, true
		}
	}
	for _, d := range sp.Roles {
		if d.Value != "" && d.Value == role {
			return d.ID, true
		}
	}
	for _, d := range sp.Roles {
		if strings.EqualFold(d.DisplayName, role) {
			return d.ID, true
		}
	}
	return "", false
}

// roleName names a held assignment from the cache (empty when unknown).
func (c *Client) roleName(resourceID, appRoleID string) AppRole {
	c.mu.Lock()
	sp, ok := c.spByID[resourceID]
	c.mu.Unlock()
	if !ok {
		return AppRole{}
	}
	if appRoleID == defaultAccessRoleID {
		return AppRole{App: sp.DisplayName}
	}
	for _, d := range sp.Roles {
		if strings.EqualFold(d.ID, appRoleID) {
			role := d.Value
			if role == "" {
				role = d.DisplayName
			}
			return AppRole{App: sp.DisplayName, Role: role}
		}
	}
	return AppRole{App: sp.DisplayName}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func parseUUID(o op, what, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, newError(o, KindInvalidValue, fmt.Sprintf("%s %q is not a GUID", what, s), err)
	}
	return id, nil
}
