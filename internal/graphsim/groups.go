package graphsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// groupProps are the group properties the simulator stores and returns.
var groupProps = []string{"id", "createdDateTime", "description", "displayName", "groupTypes", "mail",
	"mailEnabled", "mailNickname", "securityEnabled", "visibility"}

// groupSelectable adds what groups return only on $select.
var groupSelectable = newSelectable(append(append([]string{}, groupProps...), "assignedLicenses")...)

// maxBindPerPatch is how many members one PATCH with members@odata.bind may
// add (https://learn.microsoft.com/graph/api/group-post-members, example 2).
const maxBindPerPatch = 20

func (t *tenant) groupProp(g *group, name string) any {
	switch name {
	case "id":
		return g.id
	case "createdDateTime":
		return g.created.Format(timeFormat)
	case "groupTypes":
		if v, ok := g.props[name]; ok {
			return copyJSON(v)
		}
		return []any{}
	case "assignedLicenses":
		out := make([]any, 0, len(g.licenses))
		for _, l := range g.licenses {
			out = append(out, map[string]any{"skuId": l.SkuID, "disabledPlans": copyJSON(append([]string{}, l.DisabledPlans...))})
		}
		return out
	}
	return copyJSON(g.props[name])
}

func (t *tenant) renderGroup(g *group, sel []string, withType bool) map[string]any {
	if sel == nil {
		sel = groupProps
	}
	m := make(map[string]any, len(sel)+1)
	for _, p := range sel {
		m[p] = t.groupProp(g, p)
	}
	if withType {
		m["@odata.type"] = "#microsoft.graph.group"
	}
	return m
}

func (t *tenant) groupGetter(g *group) getter {
	return func(path string) any {
		name := groupSelectable[strings.ToLower(path)]
		if name == "id" {
			return g.id
		}
		return g.props[name]
	}
}

func groupSeq(g *group) uint64 { return g.seq }

// listGroups serves GET /groups (https://learn.microsoft.com/graph/api/group-list).
func (s *Sim) listGroups(c *call) *response {
	o, r := s.parseListOpts(c, groupSchema, "group", groupSelectable, false)
	if r != nil {
		return r
	}
	match := func(g *group) bool { return o.filter == nil || evalFilter(o.filter, s.t.groupGetter(g)) }
	p := paginate(s.t.groupOrder, groupSeq, match, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, g := range p.items {
		out = append(out, s.t.renderGroup(g, o.sel, false))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("groups", o.sel), out, p.total, o.count, next))
}

// getGroup serves GET /groups/{id}.
func (s *Sim) getGroup(c *call) *response {
	g := s.t.groupByKey(c.ids[0], false)
	if g == nil {
		return s.notFound(c, c.ids[0])
	}
	sel, r := s.parseSelect(c, c.q.Get("$select"), "group", groupSelectable)
	if r != nil {
		return r
	}
	m := s.t.renderGroup(g, sel, false)
	m["@odata.context"] = c.contextURL("groups", sel) + "/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// directoryObject resolves a member id to an active user or a group; a user
// still inside the replication lag is not found.
func (s *Sim) directoryObject(c *call, id string) (u *user, g *group) {
	if u := s.graphUser(c, id); u != nil && !strings.Contains(id, "@") {
		return u, nil
	}
	if g := s.t.groupByKey(id, false); g != nil {
		return nil, g
	}
	return nil, nil
}

// alreadyMember is Entra's answer to adding an existing member
// (https://learn.microsoft.com/graph/api/group-post-members#response).
func (s *Sim) alreadyMember(c *call) *response {
	return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
		"One or more added object references already exist for the following modified properties: 'members'.")
}

// addMemberRef serves POST /groups/{id}/members/$ref.
func (s *Sim) addMemberRef(c *call) *response {
	g := s.t.groupByKey(c.ids[0], false)
	if g == nil {
		return s.notFound(c, c.ids[0])
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	mid, ok := refID(body["@odata.id"])
	if !ok {
		return s.fail(c, http.StatusBadRequest, "BadRequest", "The '@odata.id' property is missing or invalid.")
	}
	u, mg := s.directoryObject(c, mid)
	if u == nil && mg == nil {
		return s.notFound(c, mid)
	}
	id := mid
	if u != nil {
		id = u.id
	} else {
		id = mg.id
	}
	if id == g.id {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "A group cannot be a member of itself.")
	}
	if !s.t.addMember(g, id) {
		return s.alreadyMember(c)
	}
	return c.noContent()
}

// removeMemberRef serves DELETE /groups/{id}/members/{memberId}/$ref
// (https://learn.microsoft.com/graph/api/group-delete-members): 404 when the
// object is not a member.
func (s *Sim) removeMemberRef(c *call) *response {
	return s.removeMember(c, c.ids[0], c.ids[1])
}

// removeMemberByQuery serves DELETE /groups/{id}/members/$ref?$id=<url>.
func (s *Sim) removeMemberByQuery(c *call) *response {
	raw := c.q.Get("$id")
	if raw == "" {
		raw = c.q.Get("@id")
	}
	mid, ok := refID(raw)
	if !ok {
		return s.fail(c, http.StatusBadRequest, "BadRequest", "The $id query option is missing or invalid.")
	}
	return s.removeMember(c, c.ids[0], mid)
}

func (s *Sim) removeMember(c *call, gid, mid string) *response {
	g := s.t.groupByKey(gid, false)
	if g == nil {
		return s.notFound(c, gid)
	}
	id := mid
	if u, mg := s.directoryObject(c, mid); u != nil {
		id = u.id
	} else if mg != nil {
		id = mg.id
	}
	if u := s.t.users[id]; u != nil && !u.deleted.IsZero() {
		return s.notFound(c, mid)
	}
	if !s.t.removeMember(g, id) {
		return s.notFound(c, mid)
	}
	return c.noContent()
}

// patchGroup serves PATCH /groups/{id}: simple properties and
// members@odata.bind (https://learn.microsoft.com/graph/api/group-update;
// https://learn.microsoft.com/graph/api/group-post-members example 2: at most
// 20 members per request). It is all or nothing, as in Entra ID: one member
// already present makes the whole request 400 "One or more added object
// references already exist" (the answer of group-post-members#response), an
// object that does not exist or is not replicated yet makes it 404, and then
// nobody is added. However many members it carries, it is one write for the
// statistics and the write quota.
func (s *Sim) patchGroup(c *call) *response {
	g := s.t.groupByKey(c.ids[0], false)
	if g == nil {
		return s.notFound(c, c.ids[0])
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	var add []string
	props := map[string]any{}
	for k, v := range body {
		switch {
		case strings.EqualFold(k, "members@odata.bind"):
			list, ok := v.([]any)
			if !ok {
				return s.fail(c, http.StatusBadRequest, "BadRequest", "members@odata.bind must be an array of URLs.")
			}
			if len(list) > maxBindPerPatch {
				return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
					fmt.Sprintf("The request contains %d member references; at most %d can be added in one request.", len(list), maxBindPerPatch))
			}
			seen := map[string]bool{}
			for _, e := range list {
				mid, ok := refID(e)
				if !ok {
					return s.fail(c, http.StatusBadRequest, "BadRequest", "members@odata.bind must be an array of URLs.")
				}
				u, mg := s.directoryObject(c, mid)
				if u == nil && mg == nil {
					return s.notFound(c, mid)
				}
				id := mid
				if u != nil {
					id = u.id
				} else {
					id = mg.id
				}
				if _, dup := g.isMem[id]; dup || seen[id] {
					return s.alreadyMember(c)
				}
				seen[id] = true
				add = append(add, id)
			}
		case strings.HasPrefix(k, "@odata."):
		default:
			name, ok := groupSelectable[strings.ToLower(k)]
			if !ok || name == "id" || name == "createdDateTime" || name == "mail" || name == "assignedLicenses" {
				return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
					fmt.Sprintf("Property '%s' does not exist or is read-only on type 'microsoft.graph.group'.", k))
			}
			props[name] = v
		}
	}
	for k, v := range props {
		if v == nil {
			delete(g.props, k)
		} else {
			g.props[k] = copyJSON(v)
		}
	}
	s.t.touch('g', g.id)
	for _, id := range add {
		s.t.addMember(g, id)
	}
	return c.noContent()
}

// listMembers serves GET /groups/{id}/members
// (https://learn.microsoft.com/graph/api/group-list-members).
func (s *Sim) listMembers(c *call) *response {
	g := s.t.groupByKey(c.ids[0], false)
	if g == nil {
		return s.notFound(c, c.ids[0])
	}
	// $select names user properties; group members get what applies to them.
	o, r := s.parseListOpts(c, resourceSchema{}, "directoryObject", mergedSelectable, false)
	if r != nil {
		return r
	}
	// Members are kept in the order they were added; the paging cursor is the
	// sequence number of the addition, so removals between pages skip nothing.
	type entry struct {
		pos uint64
		id  string
	}
	entries := make([]entry, 0, len(g.members))
	for _, m := range g.members {
		if u := s.t.users[m]; u != nil && !u.deleted.IsZero() {
			continue
		}
		entries = append(entries, entry{g.isMem[m], m})
	}
	p := paginate(entries, func(e entry) uint64 { return e.pos }, func(entry) bool { return true }, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, e := range p.items {
		out = append(out, s.t.renderObject(e.id, o.sel))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("directoryObjects", o.sel), out, p.total, o.count, next))
}

// mergedSelectable is the $select vocabulary of directoryObject collections.
var mergedSelectable = func() selectable {
	m := selectable{}
	for k, v := range userSelectable {
		m[k] = v
	}
	for k, v := range groupSelectable {
		m[k] = v
	}
	return m
}()

// renderObject renders a user or group member with its @odata.type.
func (t *tenant) renderObject(id string, sel []string) map[string]any {
	if u := t.users[id]; u != nil {
		return t.renderUser(u, filterSel(sel, userSelectable), true)
	}
	if g := t.groups[id]; g != nil {
		return t.renderGroup(g, filterSel(sel, groupSelectable), true)
	}
	return map[string]any{"id": id, "@odata.type": "#microsoft.graph.directoryObject"}
}

// filterSel keeps the selected names a type has; nil stays nil (defaults).
func filterSel(sel []string, props selectable) []string {
	if sel == nil {
		return nil
	}
	out := []string{}
	for _, p := range sel {
		if _, ok := props[strings.ToLower(p)]; ok {
			out = append(out, p)
		}
	}
	return out
}

// listMemberOf serves GET /users/{id}/memberOf
// (https://learn.microsoft.com/graph/api/user-list-memberof).
func (s *Sim) listMemberOf(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	o, r := s.parseListOpts(c, resourceSchema{}, "directoryObject", groupSelectable, false)
	if r != nil {
		return r
	}
	var list []*group
	for gid := range s.t.memberOf[u.id] {
		if g := s.t.groups[gid]; g != nil {
			list = append(list, g)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	p := paginate(list, groupSeq, func(*group) bool { return true }, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, g := range p.items {
		out = append(out, s.t.renderGroup(g, o.sel, true))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("directoryObjects", o.sel), out, p.total, o.count, next))
}
