package workflows

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

// Every workflow input, result and message shows in the Temporal UI as JSON: each exported
// field, down through nested structs, has a json name in lower camel case, so the UI shows
// `givenName` next to `employeeId`, never a Go field name.
func TestWorkflowPayloadsHaveJSONNames(t *testing.T) {
	roots := []any{
		DeleteInput{}, EmployeeInput{}, EmployeeResult{}, ReplaceRequest{}, ExtendRequest{}, EndReplacementRequest{},
		ReplacementStatus{}, ExitInput{}, ExitResult{}, GuardInput{}, GuardState{}, GuardDecideRequest{},
		GuardDecideResult{}, GuardDecision{}, HireInput{}, HireResult{}, ActivateInput{}, ActivateResult{},
		MoveInput{}, MoveResult{}, PingRequest{}, PingResult{}, ReconcileInput{}, ReconcileState{}, ReconcileResult{},
		RenameInput{}, RenameResult{}, ReplaceInput{}, PolicyRolloutInput{}, PolicyRolloutResult{},
	}
	marshaler := reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	seen := map[reflect.Type]bool{}
	var check func(path string, t reflect.Type)
	check = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ == reflect.TypeOf(time.Time{}) || typ.Implements(marshaler) {
			return // a type that writes its own JSON (time.Time, hr.Date) names nothing
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			switch {
			case f.Anonymous && name == "":
				// An embedded struct's fields show at this level.
			case tag == "-":
				continue
			case name == "":
				t.Errorf("%s.%s (%s) has no json name", path, f.Name, typ)
			case !unicode.IsLower([]rune(name)[0]):
				t.Errorf("%s.%s (%s) has json name %q, want lower camel case", path, f.Name, typ, name)
			}
			check(path+"."+f.Name, f.Type)
		}
	}
	for _, r := range roots {
		typ := reflect.TypeOf(r)
		check(typ.Name(), typ)
	}
}
