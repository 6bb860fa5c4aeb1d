package graphsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// defaultAppRoleID is the "default access" role every resource accepts
// (https://learn.microsoft.com/graph/api/user-post-approleassignments#request-body).
const defaultAppRoleID = "00000000-0000-0000-0000-000000000000"

var spSelectable = newSelectable("id", "appId", "displayName", "appRoles", "servicePrincipalType", "accountEnabled")

var assignmentSelectable = newSelectable("id", "appRoleId", "createdDateTime", "deletedDateTime", "principalDisplayName",
	"principalId", "principalType", "resourceDisplayName", "resourceId")

func (t *tenant) renderSP(sp *servicePrincipal, sel []string) map[string]any {
	roles := make([]any, 0, len(sp.roles))
	for _, r := range sp.roles {
		roles = append(roles, map[string]any{
			"id": r.ID, "value": r.Value, "displayName": r.DisplayName, "description": r.DisplayName,
			"allowedMemberTypes": []any{"User"}, "isEnabled": true, "origin": "Application",
		})
	}
	full := map[string]any{
		"id": sp.id, "appId": sp.appID, "displayName": sp.displayName, "appRoles": roles,
		"servicePrincipalType": "Application", "accountEnabled": true,
	}
	if sel == nil {
		return full
	}
	m := map[string]any{}
	for _, p := range sel {
		m[p] = full[p]
	}
	return m
}

func (t *tenant) renderAssignment(a *roleAssignment, sel []string) map[string]any {
	full := map[string]any{
		"id": a.id, "appRoleId": a.role, "createdDateTime": a.created.Format(timeFormat), "deletedDateTime": nil,
		"principalId": a.principal, "principalType": "User", "resourceId": a.resource,
	}
	if u := t.users[a.principal]; u != nil {
		full["principalDisplayName"] = str(u.props, "displayName")
	}
	if sp := t.sps[a.resource]; sp != nil {
		full["resourceDisplayName"] = sp.displayName
	}
	if sel == nil {
		return full
	}
	m := map[string]any{}
	for _, p := range sel {
		m[p] = full[p]
	}
	return m
}

func spSeq(sp *servicePrincipal) uint64 { return sp.seq }

// listServicePrincipals serves GET /servicePrincipals
// (https://learn.microsoft.com/graph/api/serviceprincipal-list).
func (s *Sim) listServicePrincipals(c *call) *response {
	o, r := s.parseListOpts(c, servicePrincipalSchema, "servicePrincipal", spSelectable, false)
	if r != nil {
		return r
	}
	match := func(sp *servicePrincipal) bool {
		if o.filter == nil {
			return true
		}
		return evalFilter(o.filter, func(p string) any {
			switch spSelectable[strings.ToLower(p)] {
			case "id":
				return sp.id
			case "appId":
				return sp.appID
			case "displayName":
				return sp.displayName
			}
			return nil
		})
	}
	p := paginate(s.t.spOrder, spSeq, match, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, sp := range p.items {
		out = append(out, s.t.renderSP(sp, o.sel))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("servicePrincipals", o.sel), out, p.total, o.count, next))
}

// getServicePrincipal serves GET /servicePrincipals/{id}.
func (s *Sim) getServicePrincipal(c *call) *response {
	sp := s.t.sps[c.ids[0]]
	if sp == nil {
		sp = s.t.sps[strings.ToLower(c.ids[0])]
	}
	if sp == nil {
		return s.notFound(c, c.ids[0])
	}
	sel, r := s.parseSelect(c, c.q.Get("$select"), "servicePrincipal", spSelectable)
	if r != nil {
		return r
	}
	m := s.t.renderSP(sp, sel)
	m["@odata.context"] = c.contextURL("servicePrincipals", sel) + "/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

func assignmentSeq(a *roleAssignment) uint64 { return a.seq }

func sortedAssignments(m map[string]*roleAssignment) []*roleAssignment {
	out := make([]*roleAssignment, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// listAppRoleAssignedTo serves GET /servicePrincipals/{id}/appRoleAssignedTo
// (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto).
func (s *Sim) listAppRoleAssignedTo(c *call) *response {
	sp := s.t.sps[c.ids[0]]
	if sp == nil {
		return s.notFound(c, c.ids[0])
	}
	o, r := s.parseListOpts(c, resourceSchema{}, "appRoleAssignment", assignmentSelectable, false)
	if r != nil {
		return r
	}
	list := sortedAssignments(s.t.byResource[sp.id])
	active := func(a *roleAssignment) bool {
		u := s.t.users[a.principal]
		return u != nil && u.deleted.IsZero()
	}
	p := paginate(list, assignmentSeq, active, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, a := range p.items {
		out = append(out, s.t.renderAssignment(a, o.sel))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.base+"/$metadata#servicePrincipals('"+sp.id+"')/appRoleAssignedTo", out, p.total, o.count, next))
}

// listUserAppRoleAssignments serves GET /users/{id}/appRoleAssignments
// (https://learn.microsoft.com/graph/api/user-list-approleassignments).
func (s *Sim) listUserAppRoleAssignments(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	o, r := s.parseListOpts(c, resourceSchema{}, "appRoleAssignment", assignmentSelectable, false)
	if r != nil {
		return r
	}
	list := sortedAssignments(s.t.byPrincipal[u.id])
	p := paginate(list, assignmentSeq, func(*roleAssignment) bool { return true }, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, a := range p.items {
		out = append(out, s.t.renderAssignment(a, o.sel))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.base+"/$metadata#users('"+u.id+"')/appRoleAssignments", out, p.total, o.count, next))
}

// grantAppRole checks and stores an assignment; the caller holds the write lock.
func (s *Sim) grantAppRole(c *call, u *user, resourceID, roleID string) (*roleAssignment, *response) {
	sp := s.t.sps[resourceID]
	if sp == nil {
		sp = s.t.sps[strings.ToLower(resourceID)]
	}
	if sp == nil {
		return nil, s.notFound(c, resourceID)
	}
	roleID = strings.ToLower(roleID)
	known := roleID == defaultAppRoleID
	for _, r := range sp.roles {
		if strings.EqualFold(r.ID, roleID) {
			known = true
		}
	}
	if !known {
		return nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
			fmt.Sprintf("Permission being assigned was not found on application '%s'.", sp.appID))
	}
	for _, a := range s.t.byPrincipal[u.id] {
		if a.resource == sp.id && strings.EqualFold(a.role, roleID) {
			return nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Permission being assigned already exists on the object.")
		}
	}
	a := &roleAssignment{id: newOpaqueID(), seq: s.t.nextSeq(), principal: u.id, resource: sp.id, role: roleID, created: c.now}
	s.t.assignments[a.id] = a
	s.t.touch('a', a.id)
	if s.t.byPrincipal[u.id] == nil {
		s.t.byPrincipal[u.id] = map[string]*roleAssignment{}
	}
	s.t.byPrincipal[u.id][a.id] = a
	if s.t.byResource[sp.id] == nil {
		s.t.byResource[sp.id] = map[string]*roleAssignment{}
	}
	s.t.byResource[sp.id][a.id] = a
	return a, nil
}

// createAppRoleAssignment serves POST /users/{id}/appRoleAssignments
// (https://learn.microsoft.com/graph/api/user-post-approleassignments).
func (s *Sim) createAppRoleAssignment(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	principal, _ := body["principalId"].(string)
	resource, _ := body["resourceId"].(string)
	role, _ := body["appRoleId"].(string)
	for name, v := range map[string]string{"principalId": principal, "resourceId": resource, "appRoleId": role} {
		if !guidRe.MatchString(v) {
			return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Invalid value specified for property '%s' of resource 'AppRoleAssignment'.", name))
		}
	}
	if !strings.EqualFold(principal, u.id) {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
			"The principalId in the request body must be the id of the user in the request URL.")
	}
	a, r := s.grantAppRole(c, u, resource, role)
	if r != nil {
		return r
	}
	m := s.t.renderAssignment(a, nil)
	m["@odata.context"] = c.base + "/$metadata#users('" + u.id + "')/appRoleAssignments/$entity"
	return c.jsonResponse(http.StatusCreated, m)
}

// getAppRoleAssignment serves GET /users/{id}/appRoleAssignments/{id}.
func (s *Sim) getAppRoleAssignment(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	a := s.t.byPrincipal[u.id][c.ids[1]]
	if a == nil {
		return s.notFound(c, c.ids[1])
	}
	m := s.t.renderAssignment(a, nil)
	m["@odata.context"] = c.base + "/$metadata#users('" + u.id + "')/appRoleAssignments/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// deleteAppRoleAssignment serves DELETE /users/{id}/appRoleAssignments/{id}
// (https://learn.microsoft.com/graph/api/user-delete-approleassignments).
func (s *Sim) deleteAppRoleAssignment(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	a := s.t.byPrincipal[u.id][c.ids[1]]
	if a == nil {
		return s.notFound(c, c.ids[1])
	}
	delete(s.t.byPrincipal[u.id], a.id)
	delete(s.t.byResource[a.resource], a.id)
	delete(s.t.assignments, a.id)
	s.t.touch('a', a.id)
	return c.noContent()
}
