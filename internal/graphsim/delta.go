package graphsim

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// deltaPageSize is the page size of users/delta unless the client asks for
// another with "Prefer: odata.maxpagesize=N" or $top.
const deltaPageSize = 200

var maxPageSizeRe = regexp.MustCompile(`(?i)odata\.maxpagesize\s*=\s*(\d+)`)

// deltaState is what a delta $skiptoken or $deltatoken carries.
type deltaState struct {
	initial bool
	since   uint64 // change counter of the previous round (change rounds)
	upTo    uint64 // change counter this round reports up to
	after   uint64 // cursor: seq (initial round) or mod (change round)
}

func encodeDelta(st deltaState, final bool) string {
	var s string
	switch {
	case final:
		s = "gd:" + strconv.FormatUint(st.upTo, 10)
	case st.initial:
		s = "gi:" + strconv.FormatUint(st.upTo, 10) + ":" + strconv.FormatUint(st.after, 10)
	default:
		s = "gc:" + strconv.FormatUint(st.since, 10) + ":" + strconv.FormatUint(st.upTo, 10) + ":" + strconv.FormatUint(st.after, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeDelta(tok string, wantFinal bool) (deltaState, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return deltaState{}, false
	}
	parts := strings.Split(string(b), ":")
	nums := make([]uint64, 0, len(parts)-1)
	for _, p := range parts[1:] {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return deltaState{}, false
		}
		nums = append(nums, n)
	}
	switch {
	case wantFinal && parts[0] == "gd" && len(nums) == 1:
		return deltaState{since: nums[0]}, true
	case !wantFinal && parts[0] == "gi" && len(nums) == 2:
		return deltaState{initial: true, upTo: nums[0], after: nums[1]}, true
	case !wantFinal && parts[0] == "gc" && len(nums) == 3:
		return deltaState{since: nums[0], upTo: nums[1], after: nums[2]}, true
	}
	return deltaState{}, false
}

// deltaUsers serves GET /users/delta: an initial round listing every user
// over @odata.nextLink pages and ending with an @odata.deltaLink, then rounds
// that return only users changed since, deleted ones as
// {"id", "@removed": {"reason": "changed"}} (soft delete) or "deleted" (hard
// delete). See https://learn.microsoft.com/graph/api/user-delta and
// https://learn.microsoft.com/graph/delta-query-users.
func (s *Sim) deltaUsers(c *call) *response {
	for k := range c.q {
		switch strings.ToLower(k) {
		case "$select", "$skiptoken", "$deltatoken", "$top":
		default:
			return s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery",
				"The query option '"+k+"' is not supported with users/delta by the simulator.")
		}
	}
	sel, r := s.parseSelect(c, c.q.Get("$select"), "user", userSelectable)
	if r != nil {
		return r
	}
	if sel != nil {
		hasID := false
		for _, p := range sel {
			hasID = hasID || p == "id"
		}
		if !hasID {
			sel = append(sel, "id")
		}
	}
	size, r := s.deltaSize(c)
	if r != nil {
		return r
	}
	st, r := s.deltaStart(c)
	if r != nil {
		return r
	}
	var out []map[string]any
	var more bool
	if st.initial {
		out, more = s.deltaInitialPage(&st, sel, size)
	} else {
		out, more = s.deltaChangesPage(&st, sel, size)
	}
	if out == nil {
		out = []map[string]any{}
	}
	body := map[string]any{"@odata.context": c.contextURL("users", nil), "value": out}
	if more {
		body["@odata.nextLink"] = c.link("$skiptoken", encodeDelta(st, false))
	} else {
		body["@odata.deltaLink"] = c.link("$deltatoken", encodeDelta(st, true))
	}
	return c.jsonResponse(http.StatusOK, body)
}

// deltaSize is the page size asked for by $top, else by the
// odata.maxpagesize preference, else the default.
func (s *Sim) deltaSize(c *call) (int, *response) {
	size := deltaPageSize
	if m := maxPageSizeRe.FindStringSubmatch(c.header.Get("Prefer")); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 && n <= maxPageSize {
			size = n
		}
	}
	if raw := c.q.Get("$top"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '"+raw+"'. Must be between 1 and 999 inclusive.")
		}
		size = n
	}
	return size, nil
}

// deltaStart is where this request's page starts: a $skiptoken's page, a
// $deltatoken's changes up to now, or a new initial round.
func (s *Sim) deltaStart(c *call) (deltaState, *response) {
	switch {
	case c.q.Get("$skiptoken") != "":
		st, ok := decodeDelta(c.q.Get("$skiptoken"), false)
		if !ok {
			return st, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
		}
		return st, nil
	case c.q.Get("$deltatoken") != "":
		prev, ok := decodeDelta(c.q.Get("$deltatoken"), true)
		if !ok || prev.since > s.t.change {
			return deltaState{}, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "The specified delta token value has expired or is invalid.")
		}
		return deltaState{since: prev.since, upTo: s.t.change}, nil
	default:
		return deltaState{initial: true, upTo: s.t.change}, nil
	}
}

// deltaInitialPage lists the next size users of an initial round, in
// creation order, and moves st past them; more tells whether users remain.
func (s *Sim) deltaInitialPage(st *deltaState, sel []string, size int) (out []map[string]any, more bool) {
	start := sort.Search(len(s.t.order), func(i int) bool { return s.t.order[i].seq > st.after })
	for i := start; i < len(s.t.order); i++ {
		if len(out) == size {
			return out, true
		}
		u := s.t.order[i]
		out = append(out, s.t.renderUser(u, sel, false))
		st.after = u.seq
	}
	return out, false
}

// deltaChangesPage lists the next size changes (users changed, soft- or
// hard-deleted) in st's window, in change order, and moves st past them;
// more tells whether changes remain.
func (s *Sim) deltaChangesPage(st *deltaState, sel []string, size int) (out []map[string]any, more bool) {
	type change struct {
		mod  uint64
		item map[string]any
	}
	var changes []change
	for _, u := range s.t.users {
		if u.mod <= st.since || u.mod > st.upTo || u.mod <= st.after {
			continue
		}
		if u.deleted.IsZero() {
			changes = append(changes, change{u.mod, s.t.renderUser(u, sel, false)})
		} else {
			changes = append(changes, change{u.mod, map[string]any{"id": u.id, "@removed": map[string]any{"reason": "changed"}}})
		}
	}
	for _, tb := range s.t.tombs {
		if tb.mod > st.since && tb.mod <= st.upTo && tb.mod > st.after {
			changes = append(changes, change{tb.mod, map[string]any{"id": tb.id, "@removed": map[string]any{"reason": "deleted"}}})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].mod < changes[j].mod })
	for _, ch := range changes {
		if len(out) == size {
			return out, true
		}
		out = append(out, ch.item)
		st.after = ch.mod
	}
	return out, false
}
