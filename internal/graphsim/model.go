package graphsim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"
)

// timeFormat is how the simulator writes DateTimeOffset values: RFC 3339 in UTC.
const timeFormat = "2006-01-02T15:04:05Z"

// newGUID returns a random version-4 GUID string.
func newGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("graphsim: crypto/rand failed: %v", err))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newOpaqueID returns a random URL-safe identifier like the ones Graph uses
// for appRoleAssignment ids (not a GUID).
func newOpaqueID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("graphsim: crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// user is one user object, active or soft-deleted.
type user struct {
	id      string
	seq     uint64         // creation order, the paging cursor
	mod     uint64         // tenant change sequence of the last change (delta)
	props   map[string]any // Graph properties as JSON values, without id
	created time.Time
	deleted time.Time // zero while active
	// passwordProfile is accepted but never returned, as in Graph.
	passwordProfile map[string]any
	proxies         []string // proxyAddresses, "SMTP:" primary first
	licenses        []assignedLicense
	managerID       string
	tap             *tapMethod
	revocations     int
	// visibleAt is when the user becomes visible to Graph reads after being
	// created or restored through the API (Config.ReplicationLagMs); zero for
	// seeded users.
	visibleAt time.Time
	// counted holds the lower-cased skuIds this user currently takes a seat
	// of (direct or inherited; empty while soft-deleted); see recount.
	counted map[string]bool
	// staleProps / staleProxies are the values before a PATCH, which Graph
	// reads may still return until staleUntil (Config.ReplicationLagMs).
	staleProps   map[string]any
	staleProxies []string
	staleUntil   time.Time
}

// assignedLicense is one entry of a user's assignedLicenses.
type assignedLicense struct {
	SkuID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

// tapMethod is a temporaryAccessPassAuthenticationMethod.
type tapMethod struct {
	id         string
	pass       string
	created    time.Time
	start      time.Time
	lifetime   int
	usableOnce bool
}

// group is one group object.
type group struct {
	id      string
	seq     uint64
	created time.Time
	props   map[string]any    // displayName, mailNickname, description, ...
	members []string          // member object ids in the order they were added
	isMem   map[string]uint64 // member id -> tenant seq when added (paging cursor)
	// licenses are assigned to the group; its user members inherit them
	// (group-based licensing).
	licenses []assignedLicense
}

// sku is one subscribedSku.
type sku struct {
	id       string // skuId
	part     string // skuPartNumber
	prepaid  int
	consumed int
}

// appRole is one app role a service principal publishes.
type appRole struct {
	ID          string `json:"id"`
	Value       string `json:"value"`
	DisplayName string `json:"displayName"`
}

// servicePrincipal is one service principal.
type servicePrincipal struct {
	id          string
	seq         uint64
	appID       string
	displayName string
	roles       []appRole
}

// roleAssignment is one appRoleAssignment granted to a user.
type roleAssignment struct {
	id        string
	seq       uint64
	principal string
	resource  string
	role      string
	created   time.Time
}

// tombstone records a hard-deleted user for delta queries.
type tombstone struct {
	id  string
	mod uint64
}

// tenant is the directory state. It is guarded by Sim.mu.
type tenant struct {
	tenantID string
	seq      uint64 // creation counter for users, groups, ...
	change   uint64 // change counter for delta

	domains map[string]string // lower-case -> as given

	users     map[string]*user // active and deleted, by id
	order     []*user          // active users by seq
	deletedOr []*user          // deleted users by deletion order
	// index holds lower-cased values of indexed user properties of active users.
	index    map[string]map[string]map[string]struct{}
	proxyIdx map[string]string // lower-cased address -> active user id
	reports  map[string]map[string]struct{}
	memberOf map[string]map[string]struct{} // member id -> group ids
	tombs    []tombstone

	groups     map[string]*group
	groupOrder []*group

	skus     map[string]*sku // by lower-cased skuId
	skuOrder []*sku

	sps     map[string]*servicePrincipal
	spOrder []*servicePrincipal

	assignments map[string]*roleAssignment            // by id
	byPrincipal map[string]map[string]*roleAssignment // user id -> id -> assignment
	byResource  map[string]map[string]*roleAssignment // sp id -> id -> assignment

	mail []Mail

	tapPolicy tapPolicy

	// dirty names the objects changed since the last save ("u:"+id, "g:"+id,
	// "a:"+id); nil unless the simulator persists (PersistTo).
	dirty map[string]struct{}
}

// touch records that an object changed, for PersistTo.
func (t *tenant) touch(kind byte, id string) {
	if t.dirty != nil {
		t.dirty[string(kind)+":"+id] = struct{}{}
	}
}

// indexedUserProps are the user properties kept in an equality index.
var indexedUserProps = []string{"userPrincipalName", "mailNickname", "mail", "employeeId"}

func newTenant() *tenant {
	t := &tenant{
		tenantID:    newGUID(),
		domains:     map[string]string{},
		users:       map[string]*user{},
		index:       map[string]map[string]map[string]struct{}{},
		proxyIdx:    map[string]string{},
		reports:     map[string]map[string]struct{}{},
		memberOf:    map[string]map[string]struct{}{},
		groups:      map[string]*group{},
		skus:        map[string]*sku{},
		sps:         map[string]*servicePrincipal{},
		assignments: map[string]*roleAssignment{},
		byPrincipal: map[string]map[string]*roleAssignment{},
		byResource:  map[string]map[string]*roleAssignment{},
		tapPolicy:   defaultTAPPolicy(),
	}
	for _, p := range indexedUserProps {
		t.index[p] = map[string]map[string]struct{}{}
	}
	return t
}

func (t *tenant) nextSeq() uint64    { t.seq++; return t.seq }
func (t *tenant) nextChange() uint64 { t.change++; return t.change }

// str returns a string property or "".
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// indexUser adds an active user's indexed values and proxy addresses.
func (t *tenant) indexUser(u *user) {
	for _, p := range indexedUserProps {
		v := strings.ToLower(str(u.props, p))
		if v == "" {
			continue
		}
		set := t.index[p][v]
		if set == nil {
			set = map[string]struct{}{}
			t.index[p][v] = set
		}
		set[u.id] = struct{}{}
	}
	for _, a := range u.proxies {
		t.proxyIdx[strings.ToLower(proxyAddr(a))] = u.id
	}
}

// unindexUser removes what indexUser added.
func (t *tenant) unindexUser(u *user) {
	for _, p := range indexedUserProps {
		v := strings.ToLower(str(u.props, p))
		if set := t.index[p][v]; set != nil {
			delete(set, u.id)
			if len(set) == 0 {
				delete(t.index[p], v)
			}
		}
	}
	for _, a := range u.proxies {
		k := strings.ToLower(proxyAddr(a))
		if t.proxyIdx[k] == u.id {
			delete(t.proxyIdx, k)
		}
	}
}

// proxyAddr strips the "smtp:" / "SMTP:" prefix of a proxy address.
func proxyAddr(a string) string {
	if i := strings.IndexByte(a, ':'); i >= 0 {
		return a[i+1:]
	}
	return a
}

// lookupIndex returns the ids of active users whose indexed property equals v
// (case-insensitively).
func (t *tenant) lookupIndex(prop, v string) map[string]struct{} {
	return t.index[prop][strings.ToLower(v)]
}

// activeUser resolves an id or userPrincipalName to an active user.
func (t *tenant) activeUser(key string) *user {
	if u := t.users[key]; u != nil && u.deleted.IsZero() {
		return u
	}
	if strings.Contains(key, "@") {
		for id := range t.lookupIndex("userPrincipalName", key) {
			return t.users[id]
		}
	}
	if u := t.users[strings.ToLower(key)]; u != nil && u.deleted.IsZero() {
		return u
	}
	return nil
}

// graphUser resolves an id or userPrincipalName to an active user the way a
// Graph request sees it: a user still inside its replication lag is not found
// (https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors).
func (s *Sim) graphUser(c *call, key string) *user {
	u := s.t.activeUser(key)
	if u == nil || (!c.seeding && c.now.Before(u.visibleAt)) {
		return nil
	}
	return u
}

// seen returns u as a Graph read sees it at c.now: within the replication lag
// after a PATCH, with the properties it had before.
func (c *call) seen(u *user) *user {
	if u.staleProps == nil || c.seeding || !c.now.Before(u.staleUntil) {
		return u
	}
	v := *u
	v.props, v.proxies = u.staleProps, u.staleProxies
	return &v
}

// replicationLag is the configured lag as a duration.
func (s *Sim) replicationLag() time.Duration {
	return time.Duration(s.Config().ReplicationLagMs) * time.Millisecond
}

// groupByKey resolves a group id, or (for seeds and helpers) a display name.
func (t *tenant) groupByKey(key string, byName bool) *group {
	if g := t.groups[key]; g != nil {
		return g
	}
	if g := t.groups[strings.ToLower(key)]; g != nil {
		return g
	}
	if byName {
		for _, g := range t.groupOrder {
			if strings.EqualFold(str(g.props, "displayName"), key) {
				return g
			}
		}
	}
	return nil
}

// skuByKey resolves a skuId or skuPartNumber.
func (t *tenant) skuByKey(key string) *sku {
	if s := t.skus[strings.ToLower(key)]; s != nil {
		return s
	}
	for _, s := range t.skuOrder {
		if strings.EqualFold(s.part, key) {
			return s
		}
	}
	return nil
}

// spByKey resolves a service principal id, appId or display name.
func (t *tenant) spByKey(key string) *servicePrincipal {
	if sp := t.sps[key]; sp != nil {
		return sp
	}
	for _, sp := range t.spOrder {
		if strings.EqualFold(sp.id, key) || strings.EqualFold(sp.appID, key) || strings.EqualFold(sp.displayName, key) {
			return sp
		}
	}
	return nil
}

// removeUserFromOrder drops u from the active order slice.
func (t *tenant) removeUserFromOrder(u *user) {
	i := sort.Search(len(t.order), func(i int) bool { return t.order[i].seq >= u.seq })
	if i < len(t.order) && t.order[i] == u {
		t.order = append(t.order[:i], t.order[i+1:]...)
	}
}

// insertUserInOrder puts u back in the active order slice at its seq.
func (t *tenant) insertUserInOrder(u *user) {
	i := sort.Search(len(t.order), func(i int) bool { return t.order[i].seq >= u.seq })
	t.order = append(t.order, nil)
	copy(t.order[i+1:], t.order[i:])
	t.order[i] = u
}

// addMember adds member id to g; it reports false when already a member.
func (t *tenant) addMember(g *group, id string) bool {
	if _, ok := g.isMem[id]; ok {
		return false
	}
	g.isMem[id] = t.nextSeq()
	g.members = append(g.members, id)
	t.touch('g', g.id)
	set := t.memberOf[id]
	if set == nil {
		set = map[string]struct{}{}
		t.memberOf[id] = set
	}
	set[g.id] = struct{}{}
	if u := t.users[id]; u != nil && len(g.licenses) > 0 {
		t.recount(u)
	}
	return true
}

// removeMember removes member id from g; it reports false when not a member.
func (t *tenant) removeMember(g *group, id string) bool {
	if _, ok := g.isMem[id]; !ok {
		return false
	}
	delete(g.isMem, id)
	t.touch('g', g.id)
	for i, m := range g.members {
		if m == id {
			g.members = append(g.members[:i], g.members[i+1:]...)
			break
		}
	}
	if set := t.memberOf[id]; set != nil {
		delete(set, g.id)
		if len(set) == 0 {
			delete(t.memberOf, id)
		}
	}
	if u := t.users[id]; u != nil && len(g.licenses) > 0 {
		t.recount(u)
	}
	return true
}

// setManager sets or clears (managerID "") u's manager.
func (t *tenant) setManager(u *user, managerID string) {
	t.touch('u', u.id)
	if u.managerID != "" {
		if set := t.reports[u.managerID]; set != nil {
			delete(set, u.id)
			if len(set) == 0 {
				delete(t.reports, u.managerID)
			}
		}
	}
	u.managerID = managerID
	if managerID != "" {
		set := t.reports[managerID]
		if set == nil {
			set = map[string]struct{}{}
			t.reports[managerID] = set
		}
		set[u.id] = struct{}{}
	}
}

// hasLicense reports whether u holds skuID directly.
func (u *user) hasLicense(skuID string) bool {
	for _, l := range u.licenses {
		if strings.EqualFold(l.SkuID, skuID) {
			return true
		}
	}
	return false
}

// setMail updates mail and maintains proxyAddresses as Exchange does: the new
// address becomes the primary "SMTP:" address and the old primary is kept as
// an "smtp:" alias.
func (u *user) setMail(newMail string) {
	old := str(u.props, "mail")
	if strings.EqualFold(old, newMail) && old != "" {
		u.props["mail"] = newMail
		for i, a := range u.proxies {
			if strings.EqualFold(proxyAddr(a), newMail) {
				u.proxies[i] = "SMTP:" + newMail
			}
		}
		return
	}
	var next []string
	if newMail != "" {
		next = append(next, "SMTP:"+newMail)
	}
	for _, a := range u.proxies {
		addr := proxyAddr(a)
		if strings.EqualFold(addr, newMail) {
			continue
		}
		next = append(next, "smtp:"+addr)
	}
	u.proxies = next
	if newMail == "" {
		u.props["mail"] = nil
	} else {
		u.props["mail"] = newMail
	}
}
