package graphsim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The $filter subset the simulator understands, as OData v4 writes it:
//
//	expr    := or
//	or      := and { "or" and }
//	and     := unary { "and" unary }
//	unary   := "not" unary | primary
//	primary := "(" expr ")"
//	         | ("startswith" | "endswith") "(" path "," literal ")"
//	         | path ("eq"|"ne"|"ge"|"le"|"gt"|"lt") literal
//	         | path "in" "(" literal { "," literal } ")"
//	literal := 'string' ('' escapes a quote) | true | false | null | number | GUID | date-time
//
// Keywords are case-insensitive. See
// https://learn.microsoft.com/graph/filter-query-parameter and
// https://learn.microsoft.com/graph/aad-advanced-queries.

// litKind is the type of a filter literal.
type litKind int

const (
	litString litKind = iota
	litBool
	litNull
	litNumber
	litGUID
	litDateTime
)

// edmName is the OData type name of a literal kind, used in error messages.
func (k litKind) edmName() string {
	switch k {
	case litString:
		return "Edm.String"
	case litBool:
		return "Edm.Boolean"
	case litNumber:
		return "Edm.Int32"
	case litGUID:
		return "Edm.Guid"
	case litDateTime:
		return "Edm.DateTimeOffset"
	default:
		return "<null>"
	}
}

// literal is one constant in a filter.
type literal struct {
	kind litKind
	s    string
	b    bool
	t    time.Time
}

// filterNode is a parsed filter expression.
type filterNode interface{ isNode() }

type (
	logicNode struct {
		op          string // "and" or "or"
		left, right filterNode
	}
	notNode struct{ inner filterNode }
	cmpNode struct {
		prop string
		op   string // eq ne ge le gt lt
		lit  literal
	}
	inNode struct {
		prop string
		lits []literal
	}
	funcNode struct {
		fn   string // startswith or endswith
		prop string
		lit  literal
	}
)

func (logicNode) isNode() {}
func (notNode) isNode()   {}
func (cmpNode) isNode()   {}
func (inNode) isNode()    {}
func (funcNode) isNode()  {}

// filterError is a $filter the simulator refuses. unsupported distinguishes a
// well-formed but unsupported clause (Request_UnsupportedQuery) from a syntax
// or type error (BadRequest "Invalid filter clause").
type filterError struct {
	msg         string
	unsupported bool
}

func (e *filterError) Error() string { return e.msg }

// token kinds of the lexer.
type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// maxFilterLen bounds the $filter text the parser accepts.
const maxFilterLen = 4096

// maxFilterDepth bounds nesting so hostile input cannot exhaust the stack.
const maxFilterDepth = 64

func lexFilter(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(src) {
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, syntaxError(src, start)
			}
			toks = append(toks, token{tString, b.String(), start})
		case isWordByte(c):
			start := i
			for i < len(src) && isWordByte(src[i]) {
				i++
			}
			toks = append(toks, token{tWord, src[start:i], start})
		default:
			return nil, syntaxError(src, i)
		}
	}
	toks = append(toks, token{tEOF, "", len(src)})
	return toks, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '/' || c == '.' || c == ':' || c == '-' || c == '+'
}

func syntaxError(src string, pos int) *filterError {
	return &filterError{msg: fmt.Sprintf("Invalid filter clause: Syntax error at position %d in '%s'.", pos, src)}
}

var (
	identRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$`)
	guidRe     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	numberRe   = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	dateOnlyRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

type filterParser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

// parseFilter parses a $filter expression.
func parseFilter(src string) (filterNode, error) {
	if len(src) > maxFilterLen {
		return nil, &filterError{msg: "Invalid filter clause: the filter is too long."}
	}
	toks, err := lexFilter(src)
	if err != nil {
		return nil, err
	}
	p := &filterParser{src: src, toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, syntaxError(src, p.peek().pos)
	}
	return n, nil
}

func (p *filterParser) peek() token { return p.toks[p.pos] }
func (p *filterParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *filterParser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tWord && strings.EqualFold(t.text, kw)
}

func (p *filterParser) parseOr() (filterNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxFilterDepth {
		return nil, &filterError{msg: "Invalid filter clause: the filter is nested too deeply."}
	}
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = logicNode{op: "or", left: left, right: right}
	}
	return left, nil
}

func (p *filterParser) parseAnd() (filterNode, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = logicNode{op: "and", left: left, right: right}
	}
	return left, nil
}

func (p *filterParser) parseUnary() (filterNode, error) {
	if p.isKeyword("not") {
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxFilterDepth {
			return nil, &filterError{msg: "Invalid filter clause: the filter is nested too deeply."}
		}
		inner, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{inner: inner}, nil
	}
	return p.parsePrimary()
}

func (p *filterParser) expect(k tokKind) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, syntaxError(p.src, t.pos)
	}
	return t, nil
}

func (p *filterParser) parsePrimary() (filterNode, error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	case tWord:
	default:
		return nil, syntaxError(p.src, t.pos)
	}
	word := p.next()
	lw := strings.ToLower(word.text)
	if (lw == "startswith" || lw == "endswith") && p.peek().kind == tLParen {
		return p.parseStringFunc(lw)
	}
	if p.peek().kind == tLParen {
		// Any other function call (contains, any, ...) is well-formed OData
		// that the directory does not support.
		return nil, &filterError{msg: fmt.Sprintf("Unsupported Query: function '%s' is not supported.", word.text), unsupported: true}
	}
	if !identRe.MatchString(word.text) {
		return nil, syntaxError(p.src, word.pos)
	}
	return p.parseComparison(word.text)
}

// parseStringFunc parses the arguments of startswith / endswith (fn):
// "(prop, literal)".
func (p *filterParser) parseStringFunc(fn string) (filterNode, error) {
	p.next()
	prop, err := p.parseProp()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma); err != nil {
		return nil, err
	}
	lit, err := p.parseLiteral()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return funcNode{fn: fn, prop: prop, lit: lit}, nil
}

// parseComparison parses what follows property prop: a comparison operator
// and a literal, or "in" and a parenthesised list of literals.
func (p *filterParser) parseComparison(prop string) (filterNode, error) {
	opTok := p.next()
	if opTok.kind != tWord {
		return nil, syntaxError(p.src, opTok.pos)
	}
	op := strings.ToLower(opTok.text)
	switch op {
	case "eq", "ne", "ge", "le", "gt", "lt":
		lit, err := p.parseLiteral()
		if err != nil {
			return nil, err
		}
		return cmpNode{prop: prop, op: op, lit: lit}, nil
	case "in":
		if _, err := p.expect(tLParen); err != nil {
			return nil, err
		}
		var lits []literal
		for {
			lit, err := p.parseLiteral()
			if err != nil {
				return nil, err
			}
			lits = append(lits, lit)
			t := p.next()
			if t.kind == tRParen {
				break
			}
			if t.kind != tComma {
				return nil, syntaxError(p.src, t.pos)
			}
		}
		return inNode{prop: prop, lits: lits}, nil
	default:
		return nil, syntaxError(p.src, opTok.pos)
	}
}

func (p *filterParser) parseProp() (string, error) {
	t := p.next()
	if t.kind != tWord || !identRe.MatchString(t.text) {
		return "", syntaxError(p.src, t.pos)
	}
	return t.text, nil
}

func (p *filterParser) parseLiteral() (literal, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return literal{kind: litString, s: t.text}, nil
	case tWord:
	default:
		return literal{}, syntaxError(p.src, t.pos)
	}
	w := t.text
	switch strings.ToLower(w) {
	case "true":
		return literal{kind: litBool, b: true}, nil
	case "false":
		return literal{kind: litBool, b: false}, nil
	case "null":
		return literal{kind: litNull}, nil
	}
	switch {
	case guidRe.MatchString(w):
		return literal{kind: litGUID, s: strings.ToLower(w)}, nil
	case numberRe.MatchString(w):
		if _, err := strconv.ParseFloat(w, 64); err == nil {
			return literal{kind: litNumber, s: w}, nil
		}
	case dateOnlyRe.MatchString(w):
		if tm, err := time.Parse("2006-01-02", w); err == nil {
			return literal{kind: litDateTime, t: tm, s: w}, nil
		}
	default:
		if tm, err := time.Parse(time.RFC3339Nano, w); err == nil {
			return literal{kind: litDateTime, t: tm, s: w}, nil
		}
	}
	return literal{}, syntaxError(p.src, t.pos)
}

// propType is the OData type of a filterable property.
type propType int

const (
	pString propType = iota
	pBool
	pDate
	pGUID
)

func (t propType) edmName() string {
	switch t {
	case pBool:
		return "Edm.Boolean"
	case pDate:
		return "Edm.DateTimeOffset"
	case pGUID:
		return "Edm.Guid"
	default:
		return "Edm.String"
	}
}

// propSpec describes one filterable property of a resource.
type propSpec struct {
	typ propType
	// advanced marks properties that Graph filters only as an advanced query
	// (ConsistencyLevel: eventual and $count=true).
	advanced bool
}

// resourceSchema is the filterable properties of one resource type.
type resourceSchema struct {
	name  string // "User", "Group", ...
	props map[string]propSpec
}

// userSchema follows the $filter support column of
// https://learn.microsoft.com/graph/api/resources/user#properties; companyName
// and employeeType are filtered only with advanced query parameters
// (https://learn.microsoft.com/graph/aad-advanced-queries#user-properties).
var userSchema = resourceSchema{name: "User", props: map[string]propSpec{
	"id":                         {typ: pString},
	"accountEnabled":             {typ: pBool},
	"companyName":                {typ: pString, advanced: true},
	"createdDateTime":            {typ: pDate, advanced: true},
	"department":                 {typ: pString},
	"displayName":                {typ: pString},
	"employeeHireDate":           {typ: pDate, advanced: true},
	"employeeLeaveDateTime":      {typ: pDate, advanced: true},
	"employeeId":                 {typ: pString},
	"employeeOrgData/costCenter": {typ: pString, advanced: true},
	"employeeOrgData/division":   {typ: pString, advanced: true},
	"employeeType":               {typ: pString, advanced: true},
	"givenName":                  {typ: pString},
	"jobTitle":                   {typ: pString},
	"mail":                       {typ: pString},
	"mailNickname":               {typ: pString},
	"officeLocation":             {typ: pString, advanced: true},
	"surname":                    {typ: pString},
	"usageLocation":              {typ: pString},
	"userPrincipalName":          {typ: pString},
	"userType":                   {typ: pString},
}}

// groupSchema follows https://learn.microsoft.com/graph/api/resources/group#properties.
var groupSchema = resourceSchema{name: "Group", props: map[string]propSpec{
	"id":              {typ: pString},
	"displayName":     {typ: pString},
	"mailNickname":    {typ: pString},
	"description":     {typ: pString, advanced: true},
	"mailEnabled":     {typ: pBool},
	"securityEnabled": {typ: pBool},
}}

// servicePrincipalSchema follows https://learn.microsoft.com/graph/api/resources/serviceprincipal#properties.
var servicePrincipalSchema = resourceSchema{name: "ServicePrincipal", props: map[string]propSpec{
	"id":          {typ: pString},
	"appId":       {typ: pString},
	"displayName": {typ: pString},
}}

// checkFilter validates a parsed filter against a resource schema and reports
// whether it needs advanced query capabilities.
func checkFilter(n filterNode, s resourceSchema) (advanced bool, err error) {
	switch n := n.(type) {
	case logicNode:
		a1, err := checkFilter(n.left, s)
		if err != nil {
			return false, err
		}
		a2, err := checkFilter(n.right, s)
		return a1 || a2, err
	case notNode:
		_, err := checkFilter(n.inner, s)
		return true, err
	case cmpNode:
		spec, err := s.lookup(n.prop)
		if err != nil {
			return false, err
		}
		if err := typeCheck(spec, n.lit, n.op); err != nil {
			return false, err
		}
		adv := spec.advanced || n.op == "ne" || n.lit.kind == litNull
		if spec.typ == pBool && n.op != "eq" && n.op != "ne" {
			return false, &filterError{msg: fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", n.prop, s.name), unsupported: true}
		}
		if spec.typ == pString && (n.op == "gt" || n.op == "lt") {
			return false, &filterError{msg: fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", n.prop, s.name), unsupported: true}
		}
		return adv, nil
	case inNode:
		spec, err := s.lookup(n.prop)
		if err != nil {
			return false, err
		}
		if len(n.lits) > 15 {
			return false, &filterError{msg: "Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.", unsupported: true}
		}
		for _, l := range n.lits {
			if err := typeCheck(spec, l, "eq"); err != nil {
				return false, err
			}
		}
		return spec.advanced, nil
	case funcNode:
		spec, err := s.lookup(n.prop)
		if err != nil {
			return false, err
		}
		if spec.typ != pString {
			return false, &filterError{msg: fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", n.prop, s.name), unsupported: true}
		}
		if n.lit.kind != litString {
			return false, &filterError{msg: fmt.Sprintf("Invalid filter clause: No function signature for the function with name '%s' matches the specified arguments.", n.fn)}
		}
		return spec.advanced || n.fn == "endswith", nil
	}
	return false, &filterError{msg: "Invalid filter clause"}
}

func (s resourceSchema) lookup(prop string) (propSpec, error) {
	spec, ok := s.props[prop]
	if !ok {
		// Property names are case-insensitive in the directory.
		for k, v := range s.props {
			if strings.EqualFold(k, prop) {
				return v, nil
			}
		}
		return propSpec{}, &filterError{msg: fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, s.name), unsupported: true}
	}
	return spec, nil
}

func typeCheck(spec propSpec, l literal, op string) error {
	if l.kind == litNull {
		return nil
	}
	ok := false
	switch spec.typ {
	case pString:
		ok = l.kind == litString
	case pBool:
		ok = l.kind == litBool
	case pDate:
		ok = l.kind == litDateTime
	case pGUID:
		ok = l.kind == litGUID || l.kind == litString
	}
	if !ok {
		return &filterError{msg: fmt.Sprintf("Invalid filter clause: A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", spec.typ.edmName(), l.kind.edmName(), opKind(op))}
	}
	return nil
}

func opKind(op string) string {
	switch op {
	case "eq":
		return "Equal"
	case "ne":
		return "NotEqual"
	case "ge":
		return "GreaterThanOrEqual"
	case "le":
		return "LessThanOrEqual"
	case "gt":
		return "GreaterThan"
	default:
		return "LessThan"
	}
}

// getter returns a property value (string, bool, nil) for a '/'-separated path.
type getter func(path string) any

// evalFilter evaluates a checked filter against one object.
func evalFilter(n filterNode, get getter) bool {
	switch n := n.(type) {
	case logicNode:
		if n.op == "and" {
			return evalFilter(n.left, get) && evalFilter(n.right, get)
		}
		return evalFilter(n.left, get) || evalFilter(n.right, get)
	case notNode:
		return !evalFilter(n.inner, get)
	case cmpNode:
		return compare(get(n.prop), n.op, n.lit)
	case inNode:
		v := get(n.prop)
		for _, l := range n.lits {
			if compare(v, "eq", l) {
				return true
			}
		}
		return false
	case funcNode:
		v, ok := get(n.prop).(string)
		if !ok {
			return false
		}
		v, want := strings.ToLower(v), strings.ToLower(n.lit.s)
		if n.fn == "startswith" {
			return strings.HasPrefix(v, want)
		}
		return strings.HasSuffix(v, want)
	}
	return false
}

func compare(v any, op string, l literal) bool {
	if l.kind == litNull {
		isNull := v == nil || v == ""
		if op == "eq" {
			return isNull
		}
		if op == "ne" {
			return !isNull
		}
		return false
	}
	var c int
	switch x := v.(type) {
	case nil:
		return op == "ne"
	case bool:
		if l.kind != litBool {
			return false
		}
		eq := x == l.b
		if op == "eq" {
			return eq
		}
		return op == "ne" && !eq
	case string:
		if l.kind == litDateTime {
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return op == "ne"
			}
			c = t.Compare(l.t)
		} else {
			c = strings.Compare(strings.ToLower(x), strings.ToLower(l.s))
		}
	default:
		return op == "ne"
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "ge":
		return c >= 0
	case "le":
		return c <= 0
	case "gt":
		return c > 0
	default:
		return c < 0
	}
}

// indexHints returns, for a filter, the equality constraints usable with an
// index: either a set of (prop, value) alternatives that every match must
// satisfy one of, or ok=false when the filter cannot be narrowed.
func indexHints(n filterNode, indexed func(prop string) bool) (alts [][2]string, ok bool) {
	switch n := n.(type) {
	case cmpNode:
		if n.op == "eq" && n.lit.kind == litString && indexed(n.prop) {
			return [][2]string{{n.prop, n.lit.s}}, true
		}
	case inNode:
		if !indexed(n.prop) {
			return nil, false
		}
		for _, l := range n.lits {
			if l.kind != litString {
				return nil, false
			}
			alts = append(alts, [2]string{n.prop, l.s})
		}
		return alts, true
	case logicNode:
		l, lok := indexHints(n.left, indexed)
		r, rok := indexHints(n.right, indexed)
		if n.op == "and" {
			switch {
			case lok && rok:
				if len(r) < len(l) {
					return r, true
				}
				return l, true
			case lok:
				return l, true
			case rok:
				return r, true
			}
			return nil, false
		}
		if lok && rok {
			return append(l, r...), true
		}
	}
	return nil, false
}
