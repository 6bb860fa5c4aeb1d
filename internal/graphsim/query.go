package graphsim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// defaultPageSize is the page size when $top is absent; maxPageSize the largest
// $top directory collections accept
// (https://learn.microsoft.com/graph/paging).
const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// listOpts are the parsed OData query options of a collection request.
type listOpts struct {
	sel          []string // nil: the default property set
	top          int
	count        bool
	filter       filterNode
	cursor       uint64 // from $skiptoken: return items with seq > cursor
	expandMgr    bool
	expandMgrSel []string
}

// eventual reports whether the request carries "ConsistencyLevel: eventual".
func eventual(c *call) bool {
	return strings.EqualFold(strings.TrimSpace(c.header.Get("ConsistencyLevel")), "eventual")
}

// selectable is the property set a resource can $select, by lower-cased name.
type selectable map[string]string

func newSelectable(names ...string) selectable {
	m := selectable{}
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

// parseSelect parses a $select list into canonical property names.
func (s *Sim) parseSelect(c *call, raw, typeName string, props selectable) ([]string, *response) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		name, ok := props[strings.ToLower(p)]
		if !ok {
			return nil, s.fail(c, http.StatusBadRequest, "BadRequest",
				fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.%s'.", p, typeName))
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// parseListOpts reads $select, $top, $count, $filter, $skiptoken and $expand.
// schema may have no properties when the collection takes no $filter.
func (s *Sim) parseListOpts(c *call, schema resourceSchema, typeName string, props selectable, allowExpandManager bool) (listOpts, *response) {
	o := listOpts{top: defaultPageSize}
	for k := range c.q {
		switch strings.ToLower(k) {
		case "$select", "$top", "$count", "$filter", "$skiptoken", "$expand":
		case "$orderby", "$search", "$skip":
			return o, s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery",
				fmt.Sprintf("The query option '%s' is not supported by the simulator.", k))
		}
	}
	var err *response
	if o.sel, err = s.parseSelect(c, c.q.Get("$select"), typeName, props); err != nil {
		return o, err
	}
	if raw := c.q.Get("$top"); raw != "" {
		n, perr := strconv.Atoi(raw)
		switch {
		case perr == nil && n > maxPageSize:
			// Directory collections page at most 999 objects; a larger $top is an
			// unsupported query (https://learn.microsoft.com/graph/paging,
			// https://learn.microsoft.com/graph/api/user-list#optional-query-parameters).
			return o, s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery",
				fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, maxPageSize))
		case perr != nil || n < 1:
			return o, s.fail(c, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, maxPageSize))
		}
		o.top = n
	}
	countAsked := false
	switch strings.ToLower(c.q.Get("$count")) {
	case "", "false":
	case "true":
		// $count on directory objects is an advanced query: without
		// "ConsistencyLevel: eventual" Graph ignores it (200, no @odata.count)
		// (https://learn.microsoft.com/graph/aad-advanced-queries#count-of-directory-objects).
		countAsked = true
		o.count = eventual(c)
	default:
		return o, s.fail(c, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for $count query option found.", c.q.Get("$count")))
	}
	if raw := c.q.Get("$filter"); c.q.Has("$filter") {
		if len(schema.props) == 0 {
			return o, s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported Query.")
		}
		n, perr := parseFilter(raw)
		if perr == nil {
			var adv bool
			adv, perr = checkFilter(n, schema)
			if perr == nil && adv && !(countAsked && eventual(c)) {
				// ne, not, endsWith, null checks and some properties are advanced
				// queries: https://learn.microsoft.com/graph/aad-advanced-queries
				return o, s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported Query.")
			}
		}
		if perr != nil {
			return o, s.filterFail(c, perr)
		}
		o.filter = n
	}
	if raw := c.q.Get("$skiptoken"); raw != "" {
		cur, ok := decodeSkipToken(raw)
		if !ok {
			return o, s.fail(c, http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
		}
		o.cursor = cur
	}
	if raw := strings.TrimSpace(c.q.Get("$expand")); raw != "" {
		if !allowExpandManager {
			return o, s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf("The $expand '%s' is not supported by the simulator.", raw))
		}
		sel, r := s.parseExpandManager(c, raw)
		if r != nil {
			return o, r
		}
		o.expandMgr, o.expandMgrSel = true, sel
	}
	return o, nil
}

// parseExpandManager accepts "manager" and "manager($select=a,b)".
func (s *Sim) parseExpandManager(c *call, raw string) ([]string, *response) {
	lower := strings.ToLower(raw)
	if lower == "manager" {
		return nil, nil
	}
	if strings.HasPrefix(lower, "manager(") && strings.HasSuffix(raw, ")") {
		inner := raw[len("manager(") : len(raw)-1]
		if strings.HasPrefix(strings.ToLower(inner), "$select=") {
			return s.parseSelect(c, inner[len("$select="):], "user", userSelectable)
		}
	}
	return nil, s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf("The $expand '%s' is not supported by the simulator.", raw))
}

func (s *Sim) filterFail(c *call, err error) *response {
	if fe, ok := err.(*filterError); ok && fe.unsupported {
		return s.fail(c, http.StatusBadRequest, "Request_UnsupportedQuery", fe.msg)
	}
	return s.fail(c, http.StatusBadRequest, "BadRequest", err.Error())
}

// encodeSkipToken makes an opaque paging token from a cursor.
func encodeSkipToken(cursor uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("gs1:" + strconv.FormatUint(cursor, 10)))
}

func decodeSkipToken(tok string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "gs1:") {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[4:]), 10, 64)
	return n, err == nil
}

// link builds a URL to the current path with the current query options, the
// given $skiptoken / $deltatoken replacing any earlier one.
func (c *call) link(key, token string) string {
	keys := make([]string, 0, len(c.q))
	for k := range c.q {
		lk := strings.ToLower(k)
		if lk == "$skiptoken" || lk == "$deltatoken" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(c.base)
	b.WriteString(c.path)
	sep := "?"
	for _, k := range keys {
		for _, v := range c.q[k] {
			b.WriteString(sep)
			b.WriteString(escapeQueryKey(k))
			b.WriteByte('=')
			b.WriteString(escapeQueryValue(v))
			sep = "&"
		}
	}
	b.WriteString(sep)
	b.WriteString(key)
	b.WriteByte('=')
	b.WriteString(token)
	return b.String()
}

func escapeQueryKey(k string) string {
	if strings.HasPrefix(k, "$") {
		return "$" + escapeQueryValue(k[1:])
	}
	return escapeQueryValue(k)
}

func escapeQueryValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			ch == '-', ch == '_', ch == '.', ch == '~', ch == '$', ch == ',', ch == '(', ch == ')':
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// contextURL builds "@odata.context" for an entity set, with a $select list.
func (c *call) contextURL(set string, sel []string) string {
	if len(sel) > 0 {
		return c.base + "/$metadata#" + set + "(" + strings.Join(sel, ",") + ")"
	}
	return c.base + "/$metadata#" + set
}

// collection builds a collection response body.
func collection(context string, items []map[string]any, count int, withCount bool, next string) map[string]any {
	if items == nil {
		items = []map[string]any{}
	}
	body := map[string]any{"@odata.context": context, "value": items}
	if withCount {
		body["@odata.count"] = count
	}
	if next != "" {
		body["@odata.nextLink"] = next
	}
	return body
}

// page is one page of a seq-ordered listing.
type page[T any] struct {
	items []T
	next  uint64 // cursor for the next page; 0 when this is the last page
	total int    // matching items in the whole listing (when counted)
}

// paginate walks items (sorted by seq) after cursor, keeping those that match,
// up to top. When count is set it keeps counting past the page.
func paginate[T any](items []T, seqOf func(T) uint64, match func(T) bool, cursor uint64, top int, count bool) page[T] {
	var p page[T]
	start := sort.Search(len(items), func(i int) bool { return seqOf(items[i]) > cursor })
	if count {
		for i := 0; i < start; i++ {
			if match(items[i]) {
				p.total++
			}
		}
	}
	for i := start; i < len(items); i++ {
		it := items[i]
		if !match(it) {
			continue
		}
		if len(p.items) == top {
			p.next = seqOf(p.items[len(p.items)-1])
			if !count {
				return p
			}
			p.total++
			continue
		}
		p.items = append(p.items, it)
		p.total++
	}
	return p
}

// copyJSON deep-copies a JSON value so responses never share tenant state.
func copyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyJSON(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyJSON(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	default:
		return v
	}
}
