package graphsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Seed is tenant content to add (the JSON body of POST /_sim/seed). Missing
// ids are generated. Items are added in the order domains, SKUs, service
// principals, groups, users, managers, memberships, licences, app role
// assignments, and go through the same checks as the Graph API (verified UPN
// domain, uniqueness, usageLocation, seats, duplicates). Seeding is not
// atomic: when an item fails, the items before it stay.
type Seed struct {
	// Domains are verified domain names.
	Domains []string `json:"domains"`
	// Groups are security groups.
	Groups []SeedGroup `json:"groups"`
	// SKUs are subscribed SKUs with their seats.
	SKUs []SeedSKU `json:"skus"`
	// ServicePrincipals are enterprise applications with app roles.
	ServicePrincipals []SeedServicePrincipal `json:"servicePrincipals"`
	// Users are Graph user JSON objects. displayName, mailNickname (default:
	// the UPN's local part) and userPrincipalName are needed; accountEnabled
	// defaults to true; passwordProfile is optional; "id" is kept when given.
	// A hybrid user synced from on-premises AD carries "onPremisesSyncEnabled":
	// true (and optionally onPremisesImmutableId, onPremisesSamAccountName,
	// onPremisesDomainName, onPremisesUserPrincipalName, onPremisesSecurityIdentifier,
	// onPremisesDistinguishedName, onPremisesLastSyncDateTime); Graph then refuses
	// changes to its on-premises-mastered properties.
	Users []map[string]any `json:"users"`
	// Managers set users' managers.
	Managers []SeedManager `json:"managers"`
	// Memberships add members to groups.
	Memberships []SeedMembership `json:"memberships"`
	// Licenses assign SKUs to users (who need a usageLocation).
	Licenses []SeedLicense `json:"licenses"`
	// AppRoleAssignments grant app roles to users.
	AppRoleAssignments []SeedAppRoleAssignment `json:"appRoleAssignments"`
	// TemporaryAccessPassPolicy changes the tenant's Temporary Access Pass
	// policy (default: enabled, 60..480 minutes, 60 by default, multi-use,
	// 8 characters).
	TemporaryAccessPassPolicy *SeedTAPPolicy `json:"temporaryAccessPassPolicy,omitempty"`
}

// SeedGroup is a group to create.
type SeedGroup struct {
	ID           string `json:"id,omitempty"`
	DisplayName  string `json:"displayName"`
	MailNickname string `json:"mailNickname,omitempty"`
	Description  string `json:"description,omitempty"`
	// Members are user ids or userPrincipalNames, or group ids, added after
	// the users of the same seed exist.
	Members []string `json:"members,omitempty"`
	// AssignedLicenses are licences the group hands to its direct user
	// members (group-based licensing). SkuID is a skuId or skuPartNumber of
	// a SKU in this or an earlier seed.
	AssignedLicenses []SeedGroupLicense `json:"assignedLicenses,omitempty"`
}

// SeedGroupLicense is one licence assigned to a group.
type SeedGroupLicense struct {
	SkuID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans,omitempty"`
}

// SeedSKU is a subscribed SKU.
type SeedSKU struct {
	SkuID         string `json:"skuId,omitempty"`
	SkuPartNumber string `json:"skuPartNumber"`
	PrepaidUnits  int    `json:"prepaidUnits"`
}

// SeedServicePrincipal is a service principal with app roles.
type SeedServicePrincipal struct {
	ID          string        `json:"id,omitempty"`
	AppID       string        `json:"appId,omitempty"`
	DisplayName string        `json:"displayName"`
	AppRoles    []SeedAppRole `json:"appRoles"`
}

// SeedAppRole is one app role of a service principal.
type SeedAppRole struct {
	ID          string `json:"id,omitempty"`
	Value       string `json:"value"`
	DisplayName string `json:"displayName"`
}

// SeedManager sets User's manager; both are ids or userPrincipalNames.
type SeedManager struct {
	User    string `json:"user"`
	Manager string `json:"manager"`
}

// SeedMembership adds Member (user id / UPN, or group id) to Group (id or
// display name).
type SeedMembership struct {
	Group  string `json:"group"`
	Member string `json:"member"`
}

// SeedLicense assigns a SKU (skuId or skuPartNumber) to a user (id or UPN).
type SeedLicense struct {
	User          string   `json:"user"`
	SKU           string   `json:"sku"`
	DisabledPlans []string `json:"disabledPlans,omitempty"`
}

// SeedAppRoleAssignment grants AppRole (id or value) of ServicePrincipal (id,
// appId or display name) to User (id or UPN).
type SeedAppRoleAssignment struct {
	User             string `json:"user"`
	ServicePrincipal string `json:"servicePrincipal"`
	AppRole          string `json:"appRole"`
}

// SeedResult reports the ids of what a seed created.
type SeedResult struct {
	// Users maps userPrincipalName to id.
	Users map[string]string `json:"users"`
	// Groups maps displayName to id.
	Groups map[string]string `json:"groups"`
	// SKUs maps skuPartNumber to skuId.
	SKUs map[string]string `json:"skus"`
	// ServicePrincipals maps displayName to id.
	ServicePrincipals map[string]string `json:"servicePrincipals"`
}

// Seed adds seed to the tenant; see Seed for the semantics.
func (s *Sim) Seed(seed Seed) error {
	_, err := s.SeedWithResult(seed)
	return err
}

// SeedWithResult adds seed to the tenant and reports the ids it created.
func (s *Sim) SeedWithResult(seed Seed) (SeedResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.seedLocked(seed)
	// What was seeded stays, even when a later item failed (seeds are not atomic).
	if perr := s.persistAll(); perr != nil {
		return res, errors.Join(err, perr)
	}
	return res, err
}

// responseError turns a Graph error response into a Go error.
func responseError(r *response) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return fmt.Errorf("status %d", r.status)
	}
	return fmt.Errorf("%s: %s", body.Error.Code, body.Error.Message)
}

func (s *Sim) seedLocked(seed Seed) (SeedResult, error) {
	res := SeedResult{Users: map[string]string{}, Groups: map[string]string{}, SKUs: map[string]string{}, ServicePrincipals: map[string]string{}}
	now := s.clock()
	c := &call{method: http.MethodPost, base: "http://graphsim.invalid/v1.0", now: now, requestID: newGUID(), header: http.Header{}, seeding: true}
	c.clientReqID = c.requestID
	if seed.TemporaryAccessPassPolicy != nil {
		p := seed.TemporaryAccessPassPolicy.apply(s.t.tapPolicy)
		if err := p.validate(); err != nil {
			return res, fmt.Errorf("seed temporaryAccessPassPolicy: %w", err)
		}
		s.t.tapPolicy = p
	}
	// Each step's maps in res are shared, so a failing step keeps what the
	// earlier ones reported.
	steps := []func() error{
		func() error { return s.seedDomains(seed.Domains) },
		func() error { return s.seedSKUs(res, seed.SKUs) },
		func() error { return s.seedServicePrincipals(res, seed.ServicePrincipals) },
		func() error { return s.seedGroups(res, seed.Groups, now) },
		func() error { return s.seedUsers(res, c, seed.Users) },
		func() error { return s.seedManagers(seed.Managers) },
		func() error { return s.seedMemberships(res, seed) },
		func() error { return s.seedLicenses(c, seed.Licenses) },
		func() error { return s.seedAppRoleAssignments(c, seed.AppRoleAssignments) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// seedDomains adds verified domain names.
func (s *Sim) seedDomains(domains []string) error {
	for _, d := range domains {
		d = strings.TrimSpace(d)
		if d == "" || strings.ContainsAny(d, "@ /") {
			return fmt.Errorf("seed domain %q: not a domain name", d)
		}
		s.t.domains[strings.ToLower(d)] = d
	}
	return nil
}

// seedSKUs adds subscribed SKUs and reports their ids in res.SKUs.
func (s *Sim) seedSKUs(res SeedResult, skus []SeedSKU) error {
	t := s.t
	for i, k := range skus {
		if k.SkuPartNumber == "" {
			return fmt.Errorf("seed sku %d: skuPartNumber is required", i)
		}
		id := strings.ToLower(k.SkuID)
		if id == "" {
			id = newGUID()
		} else if !guidRe.MatchString(id) {
			return fmt.Errorf("seed sku %s: skuId %q is not a GUID", k.SkuPartNumber, k.SkuID)
		}
		if t.skus[id] != nil || t.skuByKey(k.SkuPartNumber) != nil {
			return fmt.Errorf("seed sku %s: already exists", k.SkuPartNumber)
		}
		sk := &sku{id: id, part: k.SkuPartNumber, prepaid: k.PrepaidUnits}
		t.skus[id] = sk
		t.skuOrder = append(t.skuOrder, sk)
		res.SKUs[sk.part] = sk.id
	}
	return nil
}

// seedServicePrincipals adds service principals with their app roles and
// reports their ids in res.ServicePrincipals.
func (s *Sim) seedServicePrincipals(res SeedResult, sps []SeedServicePrincipal) error {
	t := s.t
	for _, sp := range sps {
		if sp.DisplayName == "" {
			return errors.New("seed service principal: displayName is required")
		}
		x := &servicePrincipal{id: strings.ToLower(sp.ID), appID: strings.ToLower(sp.AppID), displayName: sp.DisplayName, seq: t.nextSeq()}
		if x.id == "" {
			x.id = newGUID()
		}
		if x.appID == "" {
			x.appID = newGUID()
		}
		if t.sps[x.id] != nil {
			return fmt.Errorf("seed service principal %s: id %s already exists", sp.DisplayName, x.id)
		}
		for _, r := range sp.AppRoles {
			id := strings.ToLower(r.ID)
			if id == "" {
				id = newGUID()
			}
			x.roles = append(x.roles, appRole{ID: id, Value: r.Value, DisplayName: r.DisplayName})
		}
		t.sps[x.id] = x
		t.spOrder = append(t.spOrder, x)
		res.ServicePrincipals[x.displayName] = x.id
	}
	return nil
}

// seedGroups adds security groups (with their group-based licences) and
// reports their ids in res.Groups; members are added later.
func (s *Sim) seedGroups(res SeedResult, groups []SeedGroup, now time.Time) error {
	t := s.t
	for _, g := range groups {
		if g.DisplayName == "" {
			return errors.New("seed group: displayName is required")
		}
		id := strings.ToLower(g.ID)
		if id == "" {
			id = newGUID()
		}
		if t.groups[id] != nil || t.users[id] != nil {
			return fmt.Errorf("seed group %s: id %s already exists", g.DisplayName, id)
		}
		nick := g.MailNickname
		if nick == "" {
			nick = strings.Map(func(r rune) rune {
				if r == ' ' || r == '@' || r == '(' || r == ')' {
					return -1
				}
				return r
			}, g.DisplayName)
		}
		props := map[string]any{
			"displayName": g.DisplayName, "mailNickname": nick, "securityEnabled": true,
			"mailEnabled": false, "groupTypes": []any{}, "visibility": nil,
		}
		if g.Description != "" {
			props["description"] = g.Description
		}
		x := &group{id: id, seq: t.nextSeq(), created: now, props: props, isMem: map[string]uint64{}}
		for _, l := range g.AssignedLicenses {
			k := t.skuByKey(l.SkuID)
			if k == nil {
				return fmt.Errorf("seed group %s: unknown SKU %q", g.DisplayName, l.SkuID)
			}
			x.licenses = append(x.licenses, assignedLicense{SkuID: k.id, DisabledPlans: append([]string{}, l.DisabledPlans...)})
		}
		t.groups[id] = x
		t.groupOrder = append(t.groupOrder, x)
		res.Groups[g.DisplayName] = id
	}
	return nil
}

// seedUsers creates users through the same path as POST /users, then sets
// their on-premises (hybrid) properties, and reports their ids in res.Users.
func (s *Sim) seedUsers(res SeedResult, c *call, users []map[string]any) error {
	for i, raw := range users {
		body := map[string]any{}
		for k, v := range raw {
			body[k] = v
		}
		upn, _ := body["userPrincipalName"].(string)
		if _, ok := body["accountEnabled"]; !ok {
			body["accountEnabled"] = true
		}
		if _, ok := body["mailNickname"]; !ok {
			if at := strings.IndexByte(upn, '@'); at > 0 {
				body["mailNickname"] = upn[:at]
			}
		}
		onPrem, err := takeSeedOnPrem(body)
		if err != nil {
			return fmt.Errorf("seed user %d (%s): %w", i, upn, err)
		}
		u, r := s.createUserLocked(c, body, false)
		if r != nil {
			return fmt.Errorf("seed user %d (%s): %w", i, upn, responseError(r))
		}
		for k, v := range onPrem {
			u.props[k] = v
		}
		res.Users[str(u.props, "userPrincipalName")] = u.id
	}
	return nil
}

// takeSeedOnPrem moves the on-premises read-only properties out of body
// (matching names case-insensitively) and checks their types.
func takeSeedOnPrem(body map[string]any) (map[string]any, error) {
	onPrem := map[string]any{}
	for _, p := range userOnPremReadOnly {
		for k, v := range body {
			if strings.EqualFold(k, p) {
				onPrem[p] = v
				delete(body, k)
			}
		}
	}
	for k, v := range onPrem {
		ok := v == nil
		if k == "onPremisesSyncEnabled" {
			_, ok = v.(bool)
		} else if _, isStr := v.(string); isStr {
			ok = true
		}
		if !ok {
			return nil, fmt.Errorf("%s has the wrong type", k)
		}
	}
	return onPrem, nil
}

// seedManagers sets users' managers.
func (s *Sim) seedManagers(managers []SeedManager) error {
	t := s.t
	for _, m := range managers {
		u, mgr := t.activeUser(m.User), t.activeUser(m.Manager)
		if u == nil || mgr == nil {
			return fmt.Errorf("seed manager %s -> %s: unknown user", m.User, m.Manager)
		}
		t.setManager(u, mgr.id)
		u.mod = t.nextChange()
	}
	return nil
}

// seedMemberships adds the seed's memberships, then the members listed on
// its groups.
func (s *Sim) seedMemberships(res SeedResult, seed Seed) error {
	t := s.t
	members := append([]SeedMembership{}, seed.Memberships...)
	for _, g := range seed.Groups {
		for _, m := range g.Members {
			members = append(members, SeedMembership{Group: res.Groups[g.DisplayName], Member: m})
		}
	}
	for _, m := range members {
		g := t.groupByKey(m.Group, true)
		if g == nil {
			return fmt.Errorf("seed membership: unknown group %q", m.Group)
		}
		id := ""
		if u := t.activeUser(m.Member); u != nil {
			id = u.id
		} else if mg := t.groupByKey(m.Member, false); mg != nil {
			id = mg.id
		}
		if id == "" {
			return fmt.Errorf("seed membership of %q: unknown member %q", m.Group, m.Member)
		}
		if !t.addMember(g, id) {
			return fmt.Errorf("seed membership: %q is already a member of %q", m.Member, m.Group)
		}
	}
	return nil
}

// seedLicenses assigns licences through the same path as
// POST /users/{id}/assignLicense.
func (s *Sim) seedLicenses(c *call, licenses []SeedLicense) error {
	t := s.t
	for _, l := range licenses {
		u := t.activeUser(l.User)
		k := t.skuByKey(l.SKU)
		if u == nil || k == nil {
			return fmt.Errorf("seed license %s for %s: unknown user or SKU", l.SKU, l.User)
		}
		plans := make([]any, 0, len(l.DisabledPlans))
		for _, p := range l.DisabledPlans {
			plans = append(plans, p)
		}
		body, _ := json.Marshal(map[string]any{
			"addLicenses":    []any{map[string]any{"skuId": k.id, "disabledPlans": plans}},
			"removeLicenses": []any{},
		})
		lc := *c
		lc.ids = []string{u.id}
		lc.body = body
		if r := s.assignLicense(&lc); r.status >= 400 {
			return fmt.Errorf("seed license %s for %s: %w", l.SKU, l.User, responseError(r))
		}
	}
	return nil
}

// seedAppRoleAssignments grants app roles (by id, value or display name).
func (s *Sim) seedAppRoleAssignments(c *call, assignments []SeedAppRoleAssignment) error {
	t := s.t
	for _, a := range assignments {
		u := t.activeUser(a.User)
		sp := t.spByKey(a.ServicePrincipal)
		if u == nil || sp == nil {
			return fmt.Errorf("seed app role %s/%s for %s: unknown user or service principal", a.ServicePrincipal, a.AppRole, a.User)
		}
		role := a.AppRole
		for _, r := range sp.roles {
			if strings.EqualFold(r.Value, a.AppRole) || strings.EqualFold(r.DisplayName, a.AppRole) {
				role = r.ID
			}
		}
		if _, r := s.grantAppRole(c, u, sp.id, role); r != nil {
			return fmt.Errorf("seed app role %s/%s for %s: %w", a.ServicePrincipal, a.AppRole, a.User, responseError(r))
		}
	}
	return nil
}
