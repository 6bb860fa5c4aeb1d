package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a policy file, at a line. Load, Parse and Validate
// return a single *Error or several joined with errors.Join, ordered by line;
// errors.As finds the first.
type Error struct {
	// File is the name the policy was loaded from.
	File string
	// Line is the 1-based line, 0 when unknown.
	Line int
	// Reason says what is wrong, for a person to act on.
	Reason string
}

// Error renders "file:line: reason".
func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "policy"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", file, e.Reason)
}

// Load reads and validates the policy file at path. Every error names the
// file and line.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy file: %w", err)
	}
	return Parse(path, data)
}

// Parse reads and validates a policy document; name is used in errors.
// Keys the file leaves out take their defaults (see Default). Structural
// problems (syntax, unknown keys, wrong types) are reported first; value
// checks (see Validate) run once the structure is sound.
func Parse(name string, data []byte) (*Policy, error) {
	d := &decoder{data: data, file: name, lines: map[string]int{}}
	p := Default()
	p.source = name
	p.lines = d.lines

	root, err := d.document(data)
	if err != nil {
		return nil, err
	}
	if root != nil {
		d.policy(root, p)
	}
	if len(d.errs) > 0 {
		return nil, joinSorted(d.errs)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// decoder walks the YAML node tree, filling a Policy, recording the line of
// every value and collecting every problem it meets.
type decoder struct {
	data  []byte
	file  string
	lines map[string]int
	errs  []*Error
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// document parses the bytes into the root mapping node (nil for an empty
// document).
func (d *decoder) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: d.file, Line: 1, Reason: "the policy is empty"}
		}
		return nil, d.syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: d.file, Line: extra.Line, Reason: "a second YAML document; the policy must be a single document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, d.syntaxError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: d.file, Line: 1, Reason: "the policy is empty"}
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, &Error{File: d.file, Line: root.Line, Reason: "the policy is empty"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: d.file, Line: root.Line, Reason: "the policy must be a mapping of tenant, naming, lifecycle, guard, scope and rules"}
	}
	return root, nil
}

// syntaxError turns a yaml.v3 parse error into an *Error carrying its line.
func (d *decoder) syntaxError(err error) *Error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = m[2]
	}
	if line == 0 {
		// Some scanner errors (invalid UTF-8, control characters) carry no line.
		line = firstBadLine(d.data)
	}
	if line > 0 && strings.Contains(msg, "cannot start any token") {
		if lines := bytes.Split(d.data, []byte("\n")); line <= len(lines) && bytes.Contains(lines[line-1], []byte("\t")) {
			msg += " (tabs cannot indent YAML; use spaces)"
		}
	}
	return &Error{File: d.file, Line: line, Reason: "cannot parse: " + msg}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// resolve follows aliases to the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// field is one key of a mapping the decoder knows.
type field struct {
	key    string
	decode func(path string, value *yaml.Node)
}

// mapping walks a mapping node: it records lines, refuses unknown and
// duplicate keys (naming the context) and hands each known value to its
// decoder. Null values are skipped, so the default stays.
func (d *decoder) mapping(n *yaml.Node, path, context string, fields []field) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping", context)
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: keys must be plain names", context)
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.errorf(k, "merge keys (<<) are not supported in %s", context)
			continue
		}
		idx := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Value })
		if idx < 0 {
			known := make([]string, len(fields))
			for j, f := range fields {
				known[j] = f.key
			}
			d.errorf(k, "unknown key %q in %s (known keys: %s)", k.Value, context, strings.Join(known, ", "))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, "key %q appears twice in %s (first at line %d)", k.Value, context, first)
			continue
		}
		seen[k.Value] = k.Line
		sub := join(path, k.Value)
		d.lines[sub] = valueLine(k, v)
		if isNull(v) {
			continue
		}
		fields[idx].decode(sub, v)
	}
}

// valueLine is the line to report for a value: its own, or its key's when
// the value has none.
func valueLine(k, v *yaml.Node) int {
	if v != nil && v.Line > 0 {
		return v.Line
	}
	return k.Line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) policy(root *yaml.Node, p *Policy) {
	d.mapping(root, "", "the policy", []field{
		{"tenant", func(path string, v *yaml.Node) { d.tenant(v, path, &p.Tenant) }},
		{"naming", func(path string, v *yaml.Node) { d.naming(v, path, &p.Naming) }},
		{"lifecycle", func(path string, v *yaml.Node) { d.lifecycle(v, path, &p.Lifecycle) }},
		{"guard", func(path string, v *yaml.Node) { d.guard(v, path, &p.Guard) }},
		{"scope", func(path string, v *yaml.Node) { d.scope(v, path, &p.Scope) }},
		{"rules", func(path string, v *yaml.Node) { d.rules(v, path, p) }},
	})
}

func (d *decoder) tenant(n *yaml.Node, path string, t *Tenant) {
	d.mapping(n, path, "tenant", []field{
		{"domain", func(_ string, v *yaml.Node) { d.str(v, "tenant.domain", &t.Domain) }},
		{"usageLocation", func(_ string, v *yaml.Node) { d.str(v, "tenant.usageLocation", &t.UsageLocation) }},
	})
}

func (d *decoder) naming(n *yaml.Node, path string, nm *Naming) {
	mailSet := false
	d.mapping(n, path, "naming", []field{
		{"upn", func(_ string, v *yaml.Node) { d.str(v, "naming.upn", &nm.UPN) }},
		{"mailNickname", func(_ string, v *yaml.Node) { mailSet = d.str(v, "naming.mailNickname", &nm.MailNickname) }},
		{"displayName", func(_ string, v *yaml.Node) { d.str(v, "naming.displayName", &nm.DisplayName) }},
	})
	if !mailSet {
		// The mail nickname follows the UPN template unless set on its own.
		nm.MailNickname = nm.UPN
	}
}

func (d *decoder) lifecycle(n *yaml.Node, path string, l *Lifecycle) {
	d.mapping(n, path, "lifecycle", []field{
		{"timezone", func(_ string, v *yaml.Node) { d.str(v, "lifecycle.timezone", &l.Timezone) }},
		{"createDaysBeforeStart", func(_ string, v *yaml.Node) {
			d.integer(v, "lifecycle.createDaysBeforeStart", &l.CreateDaysBeforeStart)
		}},
		{"temporaryAccessPass", func(_ string, v *yaml.Node) { d.boolean(v, "lifecycle.temporaryAccessPass", &l.TemporaryAccessPass) }},
		{"temporaryAccessPassLifetimeMinutes", func(_ string, v *yaml.Node) {
			d.integer(v, "lifecycle.temporaryAccessPassLifetimeMinutes", &l.TemporaryAccessPassLifetimeMinutes)
		}},
		{"transferGraceDays", func(_ string, v *yaml.Node) { d.integer(v, "lifecycle.transferGraceDays", &l.TransferGraceDays) }},
		{"leaveTime", func(_ string, v *yaml.Node) { d.str(v, "lifecycle.leaveTime", &l.LeaveTime) }},
		{"deleteAfterDays", func(_ string, v *yaml.Node) { d.integer(v, "lifecycle.deleteAfterDays", &l.DeleteAfterDays) }},
	})
}

func (d *decoder) guard(n *yaml.Node, path string, g *Guard) {
	d.mapping(n, path, "guard", []field{
		{"maxDisablePercent", func(_ string, v *yaml.Node) { d.number(v, "guard.maxDisablePercent", &g.MaxDisablePercent) }},
		{"maxDeletePercent", func(_ string, v *yaml.Node) { d.number(v, "guard.maxDeletePercent", &g.MaxDeletePercent) }},
		{"maxRemovalPercent", func(_ string, v *yaml.Node) { d.number(v, "guard.maxRemovalPercent", &g.MaxRemovalPercent) }},
		{"window", func(_ string, v *yaml.Node) { d.str(v, "guard.window", &g.Window) }},
	})
}

func (d *decoder) scope(n *yaml.Node, path string, s *Scope) {
	d.mapping(n, path, "scope", []field{
		{"companies", func(sub string, v *yaml.Node) { d.strings(v, sub, "scope.companies", &s.Companies) }},
		{"departments", func(sub string, v *yaml.Node) { d.strings(v, sub, "scope.departments", &s.Departments) }},
		{"employeeTypes", func(sub string, v *yaml.Node) { d.strings(v, sub, "scope.employeeTypes", &s.EmployeeTypes) }},
	})
}

func (d *decoder) rules(n *yaml.Node, path string, p *Policy) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "rules must be a list of rules")
		return
	}
	p.Rules = make([]Rule, 0, len(n.Content))
	for i, item := range n.Content {
		item = resolve(item)
		sub := fmt.Sprintf("%s[%d]", path, i)
		d.lines[sub] = item.Line
		var r Rule
		ctx := ruleContext(item, i)
		d.mapping(item, sub, ctx, []field{
			{"name", func(_ string, v *yaml.Node) { d.str(v, ctx+": name", &r.Name) }},
			{"when", func(wp string, v *yaml.Node) { d.when(v, wp, ctx, &r.When) }},
			{"groups", func(gp string, v *yaml.Node) { d.strings(v, gp, ctx+": groups", &r.Groups) }},
			{"licenses", func(lp string, v *yaml.Node) { d.strings(v, lp, ctx+": licenses", &r.Licenses) }},
			{"appRoles", func(ap string, v *yaml.Node) { d.appRoles(v, ap, ctx, &r.AppRoles) }},
		})
		if isNull(item) {
			d.errorf(item, "%s is empty", ctx)
		}
		p.Rules = append(p.Rules, r)
	}
}

// ruleContext names a rule for messages: by its name when the mapping has
// one (even when it comes after the offending key), else by its position.
func ruleContext(n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "name" {
				if v := resolve(n.Content[j+1]); v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) != "" {
					return fmt.Sprintf("rule %q", strings.TrimSpace(v.Value))
				}
			}
		}
	}
	return fmt.Sprintf("rule #%d", i+1)
}

// whenKeys are the HR fields a rule may match on, in file spelling.
var whenKeys = []string{"department", "jobCode", "jobTitle", "employeeType", "company", "costCenter"}

func (d *decoder) when(n *yaml.Node, path, rule string, m *Match) {
	targets := []*[]string{&m.Department, &m.JobCode, &m.JobTitle, &m.EmployeeType, &m.Company, &m.CostCenter}
	fields := make([]field, len(whenKeys))
	for i, k := range whenKeys {
		target := targets[i]
		what := fmt.Sprintf("%s: when.%s", rule, k)
		fields[i] = field{k, func(sub string, v *yaml.Node) {
			if !d.strings(v, sub, what, target) {
				return
			}
			if len(*target) == 0 {
				d.errorf(v, "%s lists no values; leave the key out to match everyone", what)
			}
		}}
	}
	d.mapping(n, path, "when of "+rule, fields)
}

func (d *decoder) appRoles(n *yaml.Node, path, rule string, out *[]AppRole) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: appRoles must be a list of {app, role}", rule)
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		sub := fmt.Sprintf("%s[%d]", path, i)
		d.lines[sub] = item.Line
		var ar AppRole
		ctx := fmt.Sprintf("app role #%d of %s", i+1, rule)
		d.mapping(item, sub, ctx, []field{
			{"app", func(_ string, v *yaml.Node) { d.str(v, ctx+": app", &ar.App) }},
			{"role", func(_ string, v *yaml.Node) { d.str(v, ctx+": role", &ar.Role) }},
		})
		*out = append(*out, ar)
	}
}

// str reads a scalar as text. Numbers are accepted as their literal text, so
// a cost centre 4130 or a job code 012 need no quotes.
func (d *decoder) str(n *yaml.Node, what string, out *string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be text", what)
		return false
	}
	*out = n.Value
	return true
}

func (d *decoder) strings(n *yaml.Node, path, what string, out *[]string) bool {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list", what)
		return false
	}
	vals := make([]string, 0, len(n.Content))
	ok := true
	for i, item := range n.Content {
		item = resolve(item)
		d.lines[fmt.Sprintf("%s[%d]", path, i)] = item.Line
		var s string
		if isNull(item) || !d.str(item, what+" entries", &s) {
			if isNull(item) {
				d.errorf(item, "%s has an empty entry", what)
			}
			ok = false
			continue
		}
		vals = append(vals, s)
	}
	*out = vals
	return ok
}

func (d *decoder) integer(n *yaml.Node, what string, out *int) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.errorf(n, "%s must be a whole number, got %q", what, n.Value)
		return
	}
	var v int
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "%s must be a whole number, got %q", what, n.Value)
		return
	}
	*out = v
}

func (d *decoder) number(n *yaml.Node, what string, out *float64) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") {
		d.errorf(n, "%s must be a number, got %q", what, n.Value)
		return
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "%s must be a number, got %q", what, n.Value)
		return
	}
	*out = v
}

func (d *decoder) boolean(n *yaml.Node, what string, out *bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.errorf(n, "%s must be true or false, got %q", what, n.Value)
		return
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "%s must be true or false, got %q", what, n.Value)
		return
	}
	*out = v
}

// firstBadLine is the 1-based line of the first byte YAML cannot read
// (invalid UTF-8, or a control character other than tab, CR and LF), or 1.
func firstBadLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 1
}

// joinSorted orders problems by line and joins them.
func joinSorted(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int { return a.Line - b.Line })
	if len(errs) == 1 {
		return errs[0]
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
