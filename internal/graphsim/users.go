package graphsim

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// valueKind is the JSON shape of a writable user property.
type valueKind int

const (
	kString valueKind = iota
	kBool
	kDateTime
	kStringList
	kOrgData
	kPassword
)

// userWritable lists the user properties a client may set, after
// https://learn.microsoft.com/graph/api/resources/user#properties.
var userWritable = map[string]valueKind{
	"accountEnabled":        kBool,
	"ageGroup":              kString,
	"businessPhones":        kStringList,
	"city":                  kString,
	"companyName":           kString,
	"country":               kString,
	"department":            kString,
	"displayName":           kString,
	"employeeHireDate":      kDateTime,
	"employeeId":            kString,
	"employeeLeaveDateTime": kDateTime,
	"employeeOrgData":       kOrgData,
	"employeeType":          kString,
	"faxNumber":             kString,
	"givenName":             kString,
	"jobTitle":              kString,
	"mail":                  kString,
	"mailNickname":          kString,
	"mobilePhone":           kString,
	"onPremisesImmutableId": kString,
	"officeLocation":        kString,
	"otherMails":            kStringList,
	"passwordProfile":       kPassword,
	"postalCode":            kString,
	"preferredLanguage":     kString,
	"state":                 kString,
	"streetAddress":         kString,
	"surname":               kString,
	"usageLocation":         kString,
	"userPrincipalName":     kString,
	"userType":              kString,
}

// userReadOnly are properties Graph computes; writing them is refused.
var userReadOnly = append([]string{"id", "createdDateTime", "deletedDateTime", "proxyAddresses", "assignedLicenses", "licenseAssignmentStates"},
	userOnPremReadOnly...)

// userOnPremReadOnly are the on-premises properties Entra Connect / Cloud Sync
// sets: read-only through Graph, settable in a seed
// (https://learn.microsoft.com/graph/api/resources/user#properties).
var userOnPremReadOnly = []string{"onPremisesSyncEnabled", "onPremisesSamAccountName", "onPremisesDomainName",
	"onPremisesUserPrincipalName", "onPremisesSecurityIdentifier", "onPremisesDistinguishedName", "onPremisesLastSyncDateTime"}

// cloudWritableSynced are the user properties a client may still change on a
// user synced from on-premises AD (onPremisesSyncEnabled true); every other
// writable property is mastered on premises. usageLocation is not synced by
// Entra Connect and is needed for licensing; employeeLeaveDateTime is set in the
// cloud for lifecycle workflows; otherMails and ageGroup are cloud attributes
// (https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-sync-attributes-synchronized,
// https://learn.microsoft.com/entra/id-governance/how-to-lifecycle-workflow-sync-attributes).
var cloudWritableSynced = map[string]bool{
	"usageLocation": true, "employeeLeaveDateTime": true, "otherMails": true, "ageGroup": true,
}

// onPremMastered is Entra's answer to changing an on-premises-mastered
// property of a synced user (seen in
// https://github.com/microsoftgraph/microsoft-graph-docs/issues/7301 and #18038).
func (s *Sim) onPremMastered(c *call) *response {
	return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
		"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
}

// synced reports whether u is synced from on-premises AD.
func (u *user) synced() bool {
	b, _ := u.props["onPremisesSyncEnabled"].(bool)
	return b
}

// userDefaultProps is the property set Graph v1.0 returns without $select
// (https://learn.microsoft.com/graph/api/user-get#optional-query-parameters).
var userDefaultProps = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

var userSelectable = func() selectable {
	names := append([]string{}, userReadOnly...)
	for k := range userWritable {
		names = append(names, k)
	}
	return newSelectable(names...)
}()

var userCanon = func() map[string]string {
	m := map[string]string{}
	for k, v := range userSelectable {
		m[k] = v
	}
	return m
}()

// userMaxLength is the longest value Entra ID accepts per string property,
// from the property descriptions of
// https://learn.microsoft.com/graph/api/resources/user#properties (also the doc
// comments of msgraph-sdk-go models/user.go). Longer values answer 400
// "Invalid value specified for property '…' of resource 'User'.".
var userMaxLength = map[string]int{
	"employeeId":     16,
	"givenName":      64,
	"surname":        64,
	"department":     64,
	"companyName":    64,
	"mailNickname":   64,
	"mobilePhone":    64,
	"jobTitle":       128,
	"city":           128,
	"country":        128,
	"state":          128,
	"postalCode":     40,
	"streetAddress":  1024,
	"displayName":    256,
	"officeLocation": 128,
}

// asciiOnly reports whether v has no characters outside ASCII: mail and
// userPrincipalName "can't contain accent characters"
// (https://learn.microsoft.com/graph/api/resources/user#properties).
func asciiOnly(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return false
		}
	}
	return true
}

var (
	mailNicknameRe = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-/=?^_` + "`" + `{|}~.]{1,64}$`)
	upnLocalRe     = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-/=?^_` + "`" + `{|}~.]{1,64}$`)
	usageLocRe     = regexp.MustCompile(`^[A-Z]{2}$`)
)

// invalidValue is Entra's answer to a property value it rejects.
func (s *Sim) invalidValue(c *call, prop string) *response {
	return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
		fmt.Sprintf("Invalid value specified for property '%s' of resource 'User'.", prop),
		errorDetail{Code: "InvalidValue", Target: prop})
}

// conflict is Entra's answer to a uniqueness violation.
func (s *Sim) conflict(c *call, prop string) *response {
	return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
		fmt.Sprintf("Another object with the same value for property %s already exists.", prop),
		errorDetail{Code: "ObjectConflict", Target: prop})
}

// normalizeUserBody validates a POST / PATCH user body and returns the
// properties to set (JSON null meaning "clear") by canonical name.
func (s *Sim) normalizeUserBody(c *call, body map[string]any) (map[string]any, *response) {
	out := map[string]any{}
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		name, ok := userCanon[strings.ToLower(k)]
		if !ok {
			return nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Property '%s' does not exist as a declared property or extension property.", k))
		}
		kind, writable := userWritable[name]
		if !writable {
			if name == "id" && c.method == http.MethodPost {
				continue // Graph ignores a client-supplied id on create.
			}
			return nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Property '%s' is read-only and cannot be set.", name))
		}
		if v == nil {
			out[name] = nil
			continue
		}
		val, r := s.userValue(c, name, kind, v)
		if r != nil {
			return nil, r
		}
		if val != nil {
			out[name] = val
		}
	}
	if r := s.checkUserValues(c, out); r != nil {
		return nil, r
	}
	return out, nil
}

// userValue checks the (non-null) value of writable property name against
// its kind and returns the value to store.
func (s *Sim) userValue(c *call, name string, kind valueKind, v any) (any, *response) {
	switch kind {
	case kString:
		sv, ok := v.(string)
		if !ok {
			return nil, s.invalidValue(c, name)
		}
		return sv, nil
	case kBool:
		bv, ok := v.(bool)
		if !ok {
			return nil, s.invalidValue(c, name)
		}
		return bv, nil
	case kDateTime:
		sv, ok := v.(string)
		if !ok {
			return nil, s.invalidValue(c, name)
		}
		t, err := time.Parse(time.RFC3339Nano, sv)
		if err != nil {
			return nil, s.invalidValue(c, name)
		}
		return t.UTC().Format(timeFormat), nil
	case kStringList:
		list, ok := v.([]any)
		if !ok {
			return nil, s.invalidValue(c, name)
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return nil, s.invalidValue(c, name)
			}
		}
		return copyJSON(list), nil
	case kOrgData:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, s.invalidValue(c, name)
		}
		return s.orgDataValue(c, name, m)
	case kPassword:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, s.invalidValue(c, name)
		}
		return copyJSON(m), nil
	}
	return nil, nil
}

// orgDataValue checks an employeeOrgData object (costCenter, division).
func (s *Sim) orgDataValue(c *call, name string, m map[string]any) (any, *response) {
	od := map[string]any{}
	for sk, sv := range m {
		if strings.HasPrefix(sk, "@odata.") {
			continue
		}
		switch strings.ToLower(sk) {
		case "costcenter":
			sk = "costCenter"
		case "division":
			sk = "division"
		default:
			return nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Property '%s' does not exist as a declared property or extension property.", sk))
		}
		if sv != nil {
			if _, ok := sv.(string); !ok {
				return nil, s.invalidValue(c, name)
			}
		}
		od[sk] = sv
	}
	return od, nil
}

// checkUserValues applies the checks across the normalised properties:
// lengths, mail, UPN, mailNickname, usageLocation and displayName.
func (s *Sim) checkUserValues(c *call, out map[string]any) *response {
	for name, max := range userMaxLength {
		if v, ok := out[name].(string); ok && utf8.RuneCountInString(v) > max {
			return s.invalidValue(c, name)
		}
	}
	if v, ok := out["mail"].(string); ok && !asciiOnly(v) {
		return s.invalidValue(c, "mail")
	}
	if v, ok := out["userPrincipalName"]; ok {
		if r := s.checkUPN(c, v); r != nil {
			return r
		}
	}
	if v, ok := out["mailNickname"]; ok {
		sv, _ := v.(string)
		if !mailNicknameRe.MatchString(sv) {
			return s.invalidValue(c, "mailNickname")
		}
	}
	if v, ok := out["mail"].(string); ok && !validMail(v) {
		return s.invalidValue(c, "mail")
	}
	if v, ok := out["usageLocation"].(string); ok && !usageLocRe.MatchString(v) {
		return s.invalidValue(c, "usageLocation")
	}
	if v, ok := out["displayName"]; ok {
		if sv, _ := v.(string); strings.TrimSpace(sv) == "" {
			return s.invalidValue(c, "displayName")
		}
	}
	return nil
}

func validMail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	return at > 0 && at < len(v)-1 && !strings.ContainsAny(v, " \t")
}

// checkUPN validates a userPrincipalName and its domain
// (https://learn.microsoft.com/graph/api/user-post-users#request-body).
func (s *Sim) checkUPN(c *call, v any) *response {
	upn, _ := v.(string)
	at := strings.LastIndexByte(upn, '@')
	if at <= 0 || at == len(upn)-1 || !upnLocalRe.MatchString(upn[:at]) || strings.HasPrefix(upn, ".") || strings.Contains(upn[:at], "..") {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Property userPrincipalName is invalid.",
			errorDetail{Code: "InvalidValue", Target: "userPrincipalName"})
	}
	if _, ok := s.t.domains[strings.ToLower(upn[at+1:])]; !ok {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
			"The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
			errorDetail{Code: "InvalidValue", Target: "userPrincipalName"})
	}
	return nil
}

// checkUnique refuses values another active user already holds.
func (s *Sim) checkUnique(c *call, self string, props map[string]any) *response {
	for _, p := range []string{"userPrincipalName", "mailNickname"} {
		v, ok := props[p].(string)
		if !ok || v == "" {
			continue
		}
		for id := range s.t.lookupIndex(p, v) {
			if id != self {
				return s.conflict(c, p)
			}
		}
	}
	if v, ok := props["mail"].(string); ok && v != "" {
		if id, taken := s.t.proxyIdx[strings.ToLower(v)]; taken && id != self {
			return s.conflict(c, "proxyAddresses")
		}
	}
	return nil
}

// applyUserProps writes normalized properties onto u (not indexed).
func applyUserProps(u *user, props map[string]any) {
	for k, v := range props {
		switch k {
		case "passwordProfile":
			if m, ok := v.(map[string]any); ok {
				u.passwordProfile = m
			}
		case "mail":
			sv, _ := v.(string)
			u.setMail(sv)
		default:
			if v == nil {
				delete(u.props, k)
			} else {
				u.props[k] = v
			}
		}
	}
}

// createUserLocked validates and stores a new user; the caller holds the write lock.
func (s *Sim) createUserLocked(c *call, body map[string]any, requirePassword bool) (*user, *response) {
	props, r := s.normalizeUserBody(c, body)
	if r != nil {
		return nil, r
	}
	// Required properties: https://learn.microsoft.com/graph/api/user-post-users#request-body
	required := []string{"accountEnabled", "displayName", "mailNickname", "userPrincipalName"}
	if requirePassword {
		required = append(required, "passwordProfile")
	}
	for _, p := range required {
		if props[p] == nil {
			return nil, s.invalidValue(c, p)
		}
	}
	if r := s.checkUnique(c, "", props); r != nil {
		return nil, r
	}
	id := ""
	if raw, ok := body["id"].(string); ok && !requirePassword {
		id = strings.ToLower(raw)
		if s.t.users[id] != nil || s.t.groups[id] != nil || s.t.sps[id] != nil {
			return nil, s.fail(c, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("An object with id '%s' already exists.", raw))
		}
	}
	if id == "" {
		id = newGUID()
	}
	u := &user{id: id, seq: s.t.nextSeq(), props: map[string]any{}, created: c.now}
	applyUserProps(u, props)
	u.mod = s.t.nextChange()
	s.t.users[id] = u
	s.t.order = append(s.t.order, u)
	s.t.indexUser(u)
	s.t.touch('u', u.id)
	return u, nil
}

// userProp returns one property value of u as Graph shows it.
func (t *tenant) userProp(u *user, name string) any {
	switch name {
	case "id":
		return u.id
	case "createdDateTime":
		return u.created.Format(timeFormat)
	case "deletedDateTime":
		if u.deleted.IsZero() {
			return nil
		}
		return u.deleted.Format(timeFormat)
	case "proxyAddresses":
		return copyJSON(append([]string{}, u.proxies...))
	case "assignedLicenses":
		eff := t.effectiveLicenses(u)
		out := make([]any, 0, len(eff))
		for _, l := range eff {
			out = append(out, map[string]any{"skuId": l.SkuID, "disabledPlans": copyJSON(append([]string{}, l.DisabledPlans...))})
		}
		return out
	case "licenseAssignmentStates":
		return t.licenseStates(u)
	case "passwordProfile":
		return nil
	case "businessPhones", "otherMails":
		if v, ok := u.props[name]; ok {
			return copyJSON(v)
		}
		return []any{}
	}
	return copyJSON(u.props[name])
}

// renderUser returns u's selected properties (the default set when sel is nil).
func (t *tenant) renderUser(u *user, sel []string, withType bool) map[string]any {
	if sel == nil {
		sel = userDefaultProps
	}
	m := make(map[string]any, len(sel)+1)
	for _, p := range sel {
		m[p] = t.userProp(u, p)
	}
	if withType {
		m["@odata.type"] = "#microsoft.graph.user"
	}
	return m
}

// userJSON returns every property of u (the Go helpers' view).
func (t *tenant) userJSON(u *user) map[string]any {
	m := map[string]any{}
	for k, v := range u.props {
		m[k] = copyJSON(v)
	}
	for _, p := range userReadOnly {
		m[p] = t.userProp(u, p)
	}
	if u.deleted.IsZero() {
		delete(m, "deletedDateTime")
	}
	return m
}

// userGetter exposes u's properties to the filter evaluator.
func (t *tenant) userGetter(u *user) getter {
	return func(path string) any {
		if i := strings.IndexByte(path, '/'); i >= 0 {
			head, tail := userCanon[strings.ToLower(path[:i])], path[i+1:]
			m, _ := u.props[head].(map[string]any)
			for k, v := range m {
				if strings.EqualFold(k, tail) {
					return v
				}
			}
			return nil
		}
		name := userCanon[strings.ToLower(path)]
		switch name {
		case "id", "createdDateTime":
			return t.userProp(u, name)
		}
		return u.props[name]
	}
}

// userWithManager adds an expanded manager to a rendered user.
func (t *tenant) userWithManager(m map[string]any, u *user, o listOpts) map[string]any {
	if !o.expandMgr {
		return m
	}
	if mgr := t.users[u.managerID]; mgr != nil && mgr.deleted.IsZero() {
		m["manager"] = t.renderUser(mgr, o.expandMgrSel, true)
	}
	return m
}

// candidates narrows a user filter with the indexes; ok=false means scan all.
func (t *tenant) userCandidates(f filterNode) ([]*user, bool) {
	if f == nil {
		return nil, false
	}
	alts, ok := indexHints(f, func(p string) bool {
		name := userCanon[strings.ToLower(p)]
		if name == "id" {
			return true
		}
		for _, ip := range indexedUserProps {
			if ip == name {
				return true
			}
		}
		return false
	})
	if !ok {
		return nil, false
	}
	seen := map[string]bool{}
	var out []*user
	for _, a := range alts {
		name := userCanon[strings.ToLower(a[0])]
		if name == "id" {
			if u := t.users[strings.ToLower(a[1])]; u != nil && u.deleted.IsZero() && !seen[u.id] {
				seen[u.id] = true
				out = append(out, u)
			}
			continue
		}
		for id := range t.lookupIndex(name, a[1]) {
			if !seen[id] {
				seen[id] = true
				out = append(out, t.users[id])
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, true
}

func userSeq(u *user) uint64 { return u.seq }

// listUsers serves GET /users (https://learn.microsoft.com/graph/api/user-list).
func (s *Sim) listUsers(c *call) *response {
	o, r := s.parseListOpts(c, userSchema, "user", userSelectable, true)
	if r != nil {
		return r
	}
	items := s.t.order
	if cands, ok := s.t.userCandidates(o.filter); ok {
		items = cands
	}
	match := func(u *user) bool {
		return !c.now.Before(u.visibleAt) && (o.filter == nil || evalFilter(o.filter, s.t.userGetter(c.seen(u))))
	}
	p := paginate(items, userSeq, match, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, u := range p.items {
		out = append(out, s.t.userWithManager(s.t.renderUser(c.seen(u), o.sel, false), u, o))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("users", o.sel), out, p.total, o.count, next))
}

// countUsers serves GET /users/$count, which needs ConsistencyLevel: eventual
// (https://learn.microsoft.com/graph/query-parameters#count-parameter).
func (s *Sim) countUsers(c *call) *response {
	if !eventual(c) {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "$count is not currently supported.")
	}
	n := 0
	for _, u := range s.t.order {
		if !c.now.Before(u.visibleAt) {
			n++
		}
	}
	if c.q.Has("$filter") {
		f, err := parseFilter(c.q.Get("$filter"))
		if err == nil {
			_, err = checkFilter(f, userSchema)
		}
		if err != nil {
			return s.filterFail(c, err)
		}
		n = 0
		for _, u := range s.t.order {
			if !c.now.Before(u.visibleAt) && evalFilter(f, s.t.userGetter(u)) {
				n++
			}
		}
	}
	h := c.baseHeader()
	h.Set("Content-Type", "text/plain")
	return &response{status: http.StatusOK, header: h, body: []byte(fmt.Sprint(n))}
}

// getUser serves GET /users/{id | userPrincipalName}.
func (s *Sim) getUser(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	sel, r := s.parseSelect(c, c.q.Get("$select"), "user", userSelectable)
	if r != nil {
		return r
	}
	o := listOpts{sel: sel}
	if raw := strings.TrimSpace(c.q.Get("$expand")); raw != "" {
		msel, r := s.parseExpandManager(c, raw)
		if r != nil {
			return r
		}
		o.expandMgr, o.expandMgrSel = true, msel
	}
	m := s.t.userWithManager(s.t.renderUser(c.seen(u), sel, false), u, o)
	m["@odata.context"] = c.contextURL("users", sel) + "/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// createUser serves POST /users (https://learn.microsoft.com/graph/api/user-post-users).
func (s *Sim) createUser(c *call) *response {
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	u, r := s.createUserLocked(c, body, true)
	if r != nil {
		return r
	}
	// The create itself answers 201 with the object; reads of it may 404 for
	// a while (eventual consistency, Config.ReplicationLagMs).
	u.visibleAt = c.now.Add(s.replicationLag())
	m := s.t.renderUser(u, nil, false)
	m["@odata.context"] = c.contextURL("users", nil) + "/$entity"
	return c.jsonResponse(http.StatusCreated, m)
}

// patchUser serves PATCH /users/{id} (https://learn.microsoft.com/graph/api/user-update).
func (s *Sim) patchUser(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	props, r := s.normalizeUserBody(c, body)
	if r != nil {
		return r
	}
	if u.synced() {
		for p := range props {
			if !cloudWritableSynced[p] {
				return s.onPremMastered(c)
			}
		}
	}
	for _, p := range []string{"accountEnabled", "displayName", "mailNickname", "userPrincipalName"} {
		if v, ok := props[p]; ok && v == nil {
			return s.invalidValue(c, p)
		}
	}
	if r := s.checkUnique(c, u.id, props); r != nil {
		return r
	}
	if v, ok := props["usageLocation"]; ok && v == nil && len(s.t.effectiveLicenses(u)) > 0 {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest",
			"The usage location cannot be removed from a user who has licenses assigned.")
	}
	if lag := s.replicationLag(); lag > 0 {
		// Reads may return the previous values for a while (eventual
		// consistency); the oldest unreplicated state is kept.
		if u.staleProps == nil || !c.now.Before(u.staleUntil) {
			u.staleProps = make(map[string]any, len(u.props))
			for k, v := range u.props {
				u.staleProps[k] = v
			}
			u.staleProxies = append([]string(nil), u.proxies...)
		}
		u.staleUntil = c.now.Add(lag)
	} else {
		u.staleProps, u.staleProxies = nil, nil
	}
	s.t.unindexUser(u)
	applyUserProps(u, props)
	s.t.indexUser(u)
	u.mod = s.t.nextChange()
	s.t.touch('u', u.id)
	return c.noContent()
}

// deleteUser serves DELETE /users/{id}: the user moves to deleted items
// (https://learn.microsoft.com/graph/api/user-delete).
func (s *Sim) deleteUser(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	s.t.softDelete(u, c.now)
	return c.noContent()
}

// softDelete moves an active user to deleted items. Group memberships, app
// role assignments and licences are kept and come back on restore; the seats
// are released meanwhile.
func (t *tenant) softDelete(u *user, now time.Time) {
	t.unindexUser(u)
	t.removeUserFromOrder(u)
	u.deleted = now
	u.mod = t.nextChange()
	t.recount(u)
	t.touch('u', u.id)
	t.deletedOr = append(t.deletedOr, u)
}

// deletedUser finds a soft-deleted user.
func (t *tenant) deletedUser(id string) *user {
	u := t.users[id]
	if u == nil {
		u = t.users[strings.ToLower(id)]
	}
	if u == nil || u.deleted.IsZero() {
		return nil
	}
	return u
}

// listDeletedUsers serves GET /directory/deletedItems/microsoft.graph.user
// (https://learn.microsoft.com/graph/api/directory-deleteditems-list).
func (s *Sim) listDeletedUsers(c *call) *response {
	o, r := s.parseListOpts(c, userSchema, "user", userSelectable, false)
	if r != nil {
		return r
	}
	seqOf := func(u *user) uint64 { return u.seq }
	list := append([]*user{}, s.t.deletedOr...)
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	match := func(u *user) bool { return o.filter == nil || evalFilter(o.filter, s.t.userGetter(u)) }
	p := paginate(list, seqOf, match, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	sel := o.sel
	if sel == nil {
		sel = append(append([]string{}, userDefaultProps...), "deletedDateTime")
	}
	for _, u := range p.items {
		out = append(out, s.t.renderUser(u, sel, true))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("directory/deletedItems/microsoft.graph.user", o.sel), out, p.total, o.count, next))
}

// getDeletedItem serves GET /directory/deletedItems/{id}.
func (s *Sim) getDeletedItem(c *call) *response {
	u := s.t.deletedUser(c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	sel, r := s.parseSelect(c, c.q.Get("$select"), "user", userSelectable)
	if r != nil {
		return r
	}
	if sel == nil {
		sel = append(append([]string{}, userDefaultProps...), "deletedDateTime")
	}
	m := s.t.renderUser(u, sel, true)
	m["@odata.context"] = c.base + "/$metadata#directory/deletedItems/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// restoreDeletedItem serves POST /directory/deletedItems/{id}/restore
// (https://learn.microsoft.com/graph/api/directory-deleteditems-restore).
func (s *Sim) restoreDeletedItem(c *call) *response {
	u := s.t.deletedUser(c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	autoReconcile := false
	if len(strings.TrimSpace(string(c.body))) > 0 {
		body, r := s.decodeObject(c)
		if r != nil {
			return r
		}
		autoReconcile, _ = body["autoReconcileProxyConflict"].(bool)
	}
	for _, p := range []string{"userPrincipalName", "mailNickname"} {
		if v := str(u.props, p); v != "" && len(s.t.lookupIndex(p, v)) > 0 {
			return s.conflict(c, p)
		}
	}
	var kept []string
	for _, a := range u.proxies {
		if _, taken := s.t.proxyIdx[strings.ToLower(proxyAddr(a))]; taken {
			if !autoReconcile {
				return s.conflict(c, "proxyAddresses")
			}
			continue
		}
		kept = append(kept, a)
	}
	u.proxies = kept
	u.deleted = time.Time{}
	s.t.recount(u)
	u.mod = s.t.nextChange()
	for i, d := range s.t.deletedOr {
		if d == u {
			s.t.deletedOr = append(s.t.deletedOr[:i], s.t.deletedOr[i+1:]...)
			break
		}
	}
	s.t.insertUserInOrder(u)
	s.t.indexUser(u)
	u.visibleAt = c.now.Add(s.replicationLag())
	s.t.touch('u', u.id)
	m := s.t.renderUser(u, nil, true)
	m["@odata.context"] = c.base + "/$metadata#directoryObjects/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// hardDeleteItem serves DELETE /directory/deletedItems/{id}
// (https://learn.microsoft.com/graph/api/directory-deleteditems-delete).
func (s *Sim) hardDeleteItem(c *call) *response {
	u := s.t.deletedUser(c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	t := s.t
	for i, d := range t.deletedOr {
		if d == u {
			t.deletedOr = append(t.deletedOr[:i], t.deletedOr[i+1:]...)
			break
		}
	}
	for gid := range t.memberOf[u.id] {
		if g := t.groups[gid]; g != nil {
			t.removeMember(g, u.id)
		}
	}
	for aid, a := range t.byPrincipal[u.id] {
		t.touch('a', aid)
		delete(t.assignments, aid)
		delete(t.byResource[a.resource], aid)
	}
	delete(t.byPrincipal, u.id)
	t.setManager(u, "")
	for rid := range t.reports[u.id] {
		if r := t.users[rid]; r != nil {
			r.managerID = ""
			r.mod = t.nextChange()
			t.touch('u', r.id)
		}
	}
	delete(t.reports, u.id)
	delete(t.users, u.id)
	t.touch('u', u.id)
	t.tombs = append(t.tombs, tombstone{id: u.id, mod: t.nextChange()})
	return c.noContent()
}

// getManager serves GET /users/{id}/manager
// (https://learn.microsoft.com/graph/api/user-list-manager).
func (s *Sim) getManager(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	mgr := s.t.activeUser(u.managerID)
	if u.managerID == "" || mgr == nil {
		return s.notFound(c, "manager")
	}
	sel, r := s.parseSelect(c, c.q.Get("$select"), "user", userSelectable)
	if r != nil {
		return r
	}
	m := s.t.renderUser(mgr, sel, true)
	m["@odata.context"] = c.base + "/$metadata#directoryObjects/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// refID extracts the object id from an "@odata.id" URL: its last segment.
func refID(v any) (string, bool) {
	raw, ok := v.(string)
	if !ok || strings.TrimSpace(raw) == "" {
		return "", false
	}
	raw = strings.TrimRight(raw, "/")
	if i := strings.LastIndexByte(raw, '/'); i >= 0 {
		raw = raw[i+1:]
	}
	// Also accept the key form directoryObjects('id').
	if i := strings.IndexByte(raw, '('); i >= 0 && strings.HasSuffix(raw, ")") {
		raw = strings.Trim(raw[i+1:len(raw)-1], "'")
	}
	return raw, raw != ""
}

// putManager serves PUT /users/{id}/manager/$ref
// (https://learn.microsoft.com/graph/api/user-post-manager).
func (s *Sim) putManager(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
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
	if u.synced() {
		return s.onPremMastered(c) // manager is synced from AD's manager attribute
	}
	mgr := s.graphUser(c, mid)
	if mgr == nil {
		return s.notFound(c, mid)
	}
	if mgr.id == u.id {
		return s.fail(c, http.StatusBadRequest, "Request_BadRequest", "A user cannot be their own manager.")
	}
	if u.managerID != mgr.id {
		s.t.setManager(u, mgr.id)
		u.mod = s.t.nextChange()
	}
	return c.noContent()
}

// deleteManager serves DELETE /users/{id}/manager/$ref
// (https://learn.microsoft.com/graph/api/user-delete-manager).
func (s *Sim) deleteManager(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	if u.managerID == "" {
		return s.notFound(c, "manager")
	}
	if u.synced() {
		return s.onPremMastered(c)
	}
	s.t.setManager(u, "")
	u.mod = s.t.nextChange()
	return c.noContent()
}

// listDirectReports serves GET /users/{id}/directReports.
func (s *Sim) listDirectReports(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	o, r := s.parseListOpts(c, resourceSchema{}, "user", userSelectable, false)
	if r != nil {
		return r
	}
	var list []*user
	for id := range s.t.reports[u.id] {
		if d := s.t.users[id]; d != nil && d.deleted.IsZero() {
			list = append(list, d)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	p := paginate(list, userSeq, func(*user) bool { return true }, o.cursor, o.top, o.count)
	out := make([]map[string]any, 0, len(p.items))
	for _, d := range p.items {
		out = append(out, s.t.renderUser(d, o.sel, true))
	}
	next := ""
	if p.next != 0 {
		next = c.link("$skiptoken", encodeSkipToken(p.next))
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("directoryObjects", o.sel), out, p.total, o.count, next))
}
